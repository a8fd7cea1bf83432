import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { CloseUri } from '../protocol/error-uris.js'
import { AdminServer, type AdminOptions, type AdminSource } from './admin/admin-server.js'
import { AuthThrottle } from './auth-throttle.js'
import type { AuthConfig } from './authenticator.js'
import { callQueueLimits, normalizeRealm, type Logger, type NormalizedRealm, type RouterOptions } from './config.js'
import { configFingerprint } from './config-fingerprint.js'
import { Connection, type ConnectionHost } from './connection.js'
import { DropReason, RouterCounters } from './counters.js'
import { frameLimitsFrom, transportCap, type FrameLimits } from './frame-limits.js'
import { RouterConfigError } from './errors.js'
import { installExtensions } from './extensions/install.js'
import { drainCalls } from './graceful-shutdown.js'
import { freshId } from './ids.js'
import { clusterMetaProcedures } from './meta/cluster-meta.js'
import { registrationMetaProcedures } from './meta/registration-meta.js'
import { sessionMetaProcedures } from './meta/session-meta.js'
import { subscriptionMetaProcedures } from './meta/subscription-meta.js'
import { testamentMetaProcedures } from './meta/testament-meta.js'
import { DEFAULT_LIVENESS, type LivenessSettings } from './liveness.js'
import { Realm } from './realm.js'
import { serializerFor, subprotocols } from './serializers.js'
import { welcomeRoles } from './features.js'
import { parseListenAddress } from './listen-address.js'
import { RawSocketServer } from './rawsocket/rawsocket-server.js'
import type { Serializer } from './serializers.js'
import type { ClusterNode } from './cluster/start.js'
import { clusterSettings, type ClusterOptions } from './cluster/options.js'
import { readTlsFiles, tlsServerOptions, type TlsOptions } from './tls.js'
import type { FrameTransport } from './transport.js'
import { WebSocketTransport } from './websocket-transport.js'

export interface ListenOptions {
  host?: string
  /** 0 picks a free port. Default 8080. */
  port?: number
}

const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} }

export interface ShutdownOptions {
  /** How long calls in flight may take to finish, ms. Default RouterOptions.shutdownGraceMs. */
  graceMs?: number
}

type Lifecycle = 'starting' | 'serving' | 'shutting down' | 'stopped'

/**
 * The embedded WAMP v2 router. `await new Router().listen({ port: 0 })`, then `router.url`;
 * `await router.shutdown()` stops taking sessions and calls, lets calls in flight finish, then says
 * GOODBYE (wamp.close.system_shutdown) to every session; `await router.close()` says it at once.
 */
export class Router implements ConnectionHost, AdminSource {
  readonly realms = new Map<string, Realm>()
  readonly path: string
  readonly maxMessageSize: number
  readonly frameLimits: FrameLimits
  readonly authThrottle: AuthThrottle
  readonly maxBufferedBytes: number
  readonly extensions: boolean
  /** Messages, drops and failures since start, read by the admin listener at scrape time. */
  readonly counters = new RouterCounters()
  readonly handshakeTimeoutMs: number
  readonly maxEventQueueBytes: number
  private readonly auth = new Map<string, AuthConfig>()
  /** The realms as configured: a cluster node publishes their fingerprint (every node should run the same). */
  private readonly realmConfigs: NormalizedRealm[] = []
  private readonly connections = new Set<Connection>()
  readonly logger: Logger
  private readonly roles: Record<string, unknown>
  private readonly stopExtensions: Array<() => void> = []
  private readonly tls: TlsOptions | undefined
  private readonly rawsocketAddresses: string[]
  private http: Server | undefined
  private httpSockets = new Set<Socket>()
  private wss: WebSocketServer | undefined
  private rawsocketServers: RawSocketServer[] = []
  private address: AddressInfo | undefined
  private lifecycle: Lifecycle = 'starting'
  private admin: AdminServer | undefined
  private readonly adminOptions: AdminOptions | undefined
  readonly shutdownGraceMs: number
  private closing: Promise<void> | undefined
  private shuttingDown: Promise<void> | undefined
  /** Ends a graceful shutdown's wait for calls in flight (close() during shutdown). */
  private endGrace: (() => void) | undefined
  private readonly clusterOptions: ClusterOptions | undefined
  /** This router as a cluster node (RouterOptions.cluster), once listening; docs/cluster.md. */
  cluster: ClusterNode | undefined

  constructor(options: RouterOptions = {}) {
    this.path = options.path ?? '/ws'
    this.frameLimits = frameLimitsFrom(options)
    this.maxMessageSize = this.frameLimits.messageSize
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024
    this.extensions = options.extensions ?? true
    this.maxEventQueueBytes = options.maxEventQueueBytes ?? DEFAULT_MAX_EVENT_QUEUE_BYTES
    if (!(this.maxEventQueueBytes > 0)) throw new RouterConfigError('maxEventQueueBytes must be a positive number of bytes')
    this.handshakeTimeoutMs = nonNegative(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs')
    const liveness = livenessSettings(DEFAULT_LIVENESS, options.liveness, 'liveness')
    const deadline = nonNegative(options.invocationDeadlineMs, 0, 'invocationDeadlineMs')
    this.logger = options.logger ?? silent
    this.tls = options.tls
    this.rawsocketAddresses = options.rawsocket ?? []
    for (const a of this.rawsocketAddresses) parseListenAddress(a) // fail at construction on a typo
    this.adminOptions = options.admin
    this.shutdownGraceMs = nonNegative(options.shutdownGraceMs, DEFAULT_SHUTDOWN_GRACE_MS, 'shutdownGraceMs')
    this.authThrottle = new AuthThrottle(options.authThrottle, this.logger)
    this.roles = welcomeRoles(this.extensions)
    this.clusterOptions = options.cluster
    if (this.clusterOptions !== undefined) clusterSettings(this.clusterOptions) // fail at construction on a typo
    const callStats = options.callStats ?? true
    if (!callStats && this.extensions)
      throw new RouterConfigError('callStats: false needs extensions: false (the wampctl extensions read the call statistics)')
    for (const r of options.realms ?? ['realm1']) {
      const cfg = normalizeRealm(r)
      if (this.realms.has(cfg.name)) throw new RouterConfigError(`realm '${cfg.name}' is configured twice`)
      const realm = new Realm({
        name: cfg.name,
        roles: cfg.roles,
        strictUris: options.strictUris ?? false,
        callStats,
        counters: this.counters,
        liveness: livenessSettings(liveness, cfg.liveness, `realm '${cfg.name}' liveness`),
        invocationDeadlineMs: nonNegative(cfg.invocationDeadlineMs, deadline, `realm '${cfg.name}' invocationDeadlineMs`),
        extensions: this.extensions,
        callQueue: callQueueLimits(options.callQueue, cfg.callQueue, `realm '${cfg.name}' callQueue`),
        onInternalError: (err, ctx) => this.onInternalError(err, ctx),
      })
      realm.addProcedures(sessionMetaProcedures(realm))
      realm.addProcedures(registrationMetaProcedures(realm))
      realm.addProcedures(subscriptionMetaProcedures(realm))
      realm.addProcedures(testamentMetaProcedures(realm))
      realm.addProcedures(clusterMetaProcedures(realm))
      if (this.extensions) this.stopExtensions.push(installExtensions(realm, { statsIntervalMs: options.statsIntervalMs ?? 1000 }))
      this.realms.set(cfg.name, realm)
      this.auth.set(cfg.name, cfg.auth)
      this.realmConfigs.push(cfg)
    }
  }

  /** ws://host:port/path (wss:// with TLS), once listening. */
  get url(): string {
    if (this.address === undefined) throw new RouterConfigError('the router is not listening')
    const host = this.address.family === 'IPv6' ? `[${this.address.address}]` : this.address.address
    return `${this.tls === undefined ? 'ws' : 'wss'}://${host}:${this.address.port}${this.path}`
  }

  /** Every listener's URL: the WebSocket one first, then rs://, rss:// or unix: per RawSocket listener. */
  get urls(): string[] {
    return [this.url, ...this.rawsocketUrls]
  }

  /** The RawSocket listeners' URLs, in the order of `options.rawsocket`. */
  get rawsocketUrls(): string[] {
    return this.rawsocketServers.map((s) => s.url)
  }

  get port(): number {
    if (this.address === undefined) throw new RouterConfigError('the router is not listening')
    return this.address.port
  }

  /** http://host:port of the admin listener (RouterOptions.admin), once listening. */
  get adminUrl(): string | undefined {
    return this.admin?.url
  }

  /** Serving and accepting new sessions: what /readyz says. */
  get ready(): boolean {
    return this.lifecycle === 'serving'
  }

  /** Up, graceful shutdown included: what /healthz says. */
  get serving(): boolean {
    return this.lifecycle === 'serving' || this.lifecycle === 'shutting down'
  }

  get notReadyReason(): string | undefined {
    return this.lifecycle === 'serving' ? undefined : this.lifecycle
  }

  /** New sessions are refused (ABORT wamp.close.system_shutdown) once a shutdown has begun. */
  get acceptingSessions(): boolean {
    return this.lifecycle === 'starting' || this.lifecycle === 'serving'
  }

  /** Listen for WAMP (and, with RouterOptions.admin, on the admin listener first: /readyz says "starting" until WAMP is up). */
  async listen(options: ListenOptions = {}): Promise<this> {
    if (this.http !== undefined) throw new RouterConfigError('the router is already listening')
    if (this.adminOptions !== undefined) {
      this.admin = new AdminServer(this, this.adminOptions, this.logger)
      await this.admin.listen()
    }
    try {
      // A cluster node joins first: its replicas are complete before the first session arrives.
      if (this.clusterOptions !== undefined) await this.joinCluster(this.clusterOptions)
      await this.listenWamp(options)
      this.cluster?.listening(this.url)
    } catch (err) {
      await this.leaveCluster()
      await this.admin?.close()
      throw err
    }
    this.lifecycle = 'serving'
    this.logger.info('listening', { urls: this.urls, ...(this.admin === undefined ? {} : { admin: this.admin.url }) })
    return this
  }

  private async joinCluster(options: ClusterOptions): Promise<void> {
    // Imported here, so that a router without a cluster loads nothing of NATS.
    const { ClusterNode } = await import('./cluster/start.js')
    this.cluster = await ClusterNode.start(options, this.realms.values(), configFingerprint(this.realmConfigs), this.logger, (err, ctx) =>
      this.onInternalError(err, ctx),
    )
  }

  /** Leave the cluster, bounded: a NATS that is away must not hold the router's exit. */
  private async leaveCluster(): Promise<void> {
    const cluster = this.cluster
    if (cluster === undefined) return
    this.cluster = undefined
    let timer: NodeJS.Timeout | undefined
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn('cluster: leaving took too long; closing the NATS connection anyway', { node: cluster.node })
        resolve()
      }, CLUSTER_LEAVE_MS)
    })
    try {
      await Promise.race([cluster.close().catch((err: unknown) => this.onInternalError(err, 'leaving the cluster')), bounded])
    } finally {
      clearTimeout(timer)
    }
    await cluster.link.close().catch(() => undefined)
  }

  private async listenWamp(options: ListenOptions): Promise<void> {
    const tls = this.tls === undefined ? undefined : tlsServerOptions(this.tls)
    const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { 'content-type': 'text/plain' })
      res.end(`wampctl router: connect with a WebSocket to ${this.path} using ${subprotocols.join(', ')}\n`)
    }
    const http: Server = tls === undefined ? createServer(onRequest) : createHttpsServer(tls, onRequest)
    // A failed TLS handshake destroys its socket; nothing else to do.
    http.on('tlsClientError', () => {})
    // Every socket, so that close() can drop those no HTTP or WebSocket layer owns yet (mid TLS handshake).
    const sockets = new Set<Socket>()
    http.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
    this.httpSockets = sockets
    const wss = new WebSocketServer({
      noServer: true,
      // Server-wide hard cap; each connection tightens it until its session is established (frame-limits.ts).
      maxPayload: transportCap(this.maxMessageSize),
      perMessageDeflate: false,
      handleProtocols: (offered) => pickProtocol(offered) ?? false,
    })
    http.on('upgrade', (req, socket, head) => this.upgrade(wss, req, socket as Socket, head))
    this.http = http
    this.wss = wss
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
        http.off('error', reject)
        resolve()
      })
    })
    this.address = http.address() as AddressInfo
    for (const spec of this.rawsocketAddresses) {
      const server = new RawSocketServer(
        parseListenAddress(spec),
        { maxMessageSize: this.maxMessageSize, handshakeTimeoutMs: this.handshakeTimeoutMs, tls },
        (transport, serializer) => this.connect(transport, serializer),
      )
      await server.listen()
      this.rawsocketServers.push(server)
    }
  }

  /**
   * Read the TLS certificate and key again (a renewed certificate) and serve them to new
   * connections on every TLS listener; established connections keep theirs. Throws
   * RouterConfigError, changing nothing, when the files cannot be read or do not match.
   */
  reloadTls(): void {
    if (this.tls === undefined) throw new RouterConfigError('the router runs without TLS: nothing to reload')
    const context = readTlsFiles(this.tls)
    const http = this.http as unknown as { setSecureContext?: (o: typeof context) => void } | undefined
    try {
      http?.setSecureContext?.(context)
      for (const s of this.rawsocketServers) s.setSecureContext(context)
    } catch (err) {
      throw new RouterConfigError(`cannot use the renewed TLS certificate: ${(err as Error).message}`)
    }
  }

  /**
   * Graceful shutdown: /readyz turns 503, new sessions are refused, no new calls start (callees are
   * cordoned), calls in flight get up to `graceMs` to finish, then GOODBYE wamp.close.system_shutdown
   * to every session. close() during the wait ends it at once. Resolves once stopped.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.shuttingDown !== undefined) return this.shuttingDown
    if (this.closing !== undefined) return this.closing
    const graceMs = nonNegative(options.graceMs, this.shutdownGraceMs, 'graceMs')
    this.lifecycle = 'shutting down'
    this.shuttingDown = (async () => {
      const drain = drainCalls([...this.realms.values()], { graceMs, logger: this.logger })
      this.endGrace = drain.endNow
      await drain.outcome
      this.endGrace = undefined
      await this.close()
    })()
    return this.shuttingDown
  }

  /** GOODBYE (system_shutdown) to every session at once, then stop listening. Ends a graceful shutdown's wait. */
  close(): Promise<void> {
    this.endGrace?.()
    this.closing ??= this.stop()
    return this.closing
  }

  private async stop(): Promise<void> {
    this.lifecycle = 'stopped'
    for (const stop of this.stopExtensions.splice(0)) stop()
    for (const realm of this.realms.values()) {
      for (const s of [...realm.sessions.values()]) {
        // No meta events here (everyone is told GOODBYE), but the other nodes of a cluster see them leave.
        realm.leave(s, true, false)
        s.transport.goodbye(CloseUri.systemShutdown, 'the router is shutting down')
      }
    }
    // Its sessions are gone: their callees and subscriptions leave the cluster before the link closes.
    await this.leaveCluster()
    const wss = this.wss
    const http = this.http
    const rawsocketServers = this.rawsocketServers.splice(0)
    this.wss = undefined
    this.http = undefined
    await this.admin?.close()
    if (http === undefined) return
    // Give the GOODBYEs one turn to flush, then close every transport.
    await new Promise((r) => setImmediate(r))
    for (const c of this.connections) c.closeTransport('going-away', 'router shutting down')
    const rawsocketClosed = Promise.all(rawsocketServers.map((s) => s.close()))
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const c of this.connections) c.terminate()
        for (const s of this.httpSockets) s.destroy()
      }, 1000)
      deadline.unref()
      wss?.close()
      http.close(() => {
        clearTimeout(deadline)
        resolve()
      })
      http.closeAllConnections()
    })
    await rawsocketClosed
  }

  /** Bytes received and sent over every transport since start (live sockets read now). */
  transportBytes(): { in: number; out: number } {
    let bytesIn = this.counters.closedBytesIn
    let bytesOut = this.counters.closedBytesOut
    for (const c of this.connections) {
      const bytes = c.bytes
      bytesIn += bytes.in
      bytesOut += bytes.out
    }
    return { in: bytesIn, out: bytesOut }
  }

  /** Unsent bytes queued for peers, in total and for the most backed-up one (backpressure). */
  sendBuffered(): { total: number; max: number } {
    let total = 0
    let max = 0
    for (const c of this.connections) {
      const n = c.bufferedAmount
      total += n
      if (n > max) max = n
    }
    return { total, max }
  }

  realm(name: string): Realm | undefined {
    return this.realms.get(name)
  }

  authConfig(realm: string): AuthConfig {
    return this.auth.get(realm) ?? {}
  }

  welcomeRoles(): Record<string, unknown> {
    return this.roles
  }

  newSessionId(): number {
    // Session ids are global scope: unique across realms.
    return freshId({ has: (id) => [...this.realms.values()].some((r) => r.sessions.has(id)) })
  }

  onInternalError(err: unknown, context: string): void {
    this.logger.error(`${context}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, { failure: 'internal', context })
  }

  peerDropped(c: Connection, reason: 'liveness_timeout' | 'handshake_timeout', detail: string): void {
    this.counters.peerDropped(reason === 'liveness_timeout' ? DropReason.livenessTimeout : DropReason.handshakeTimeout)
    this.logger.warn(`dropped peer ${c.info.peer}: ${reason}: ${detail}`, { peer: c.info.peer, reason })
  }

  warn(message: string): void {
    this.logger.warn(message)
  }

  connectionClosed(c: Connection): void {
    this.connections.delete(c)
  }

  private upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== this.path) return refuse(socket, 404, `no WAMP endpoint at ${path}; use ${this.path}`)
    if (!this.acceptingSessions) return refuse(socket, 503, 'the router is shutting down')
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0)
    const protocol = pickProtocol(new Set(offered))
    if (protocol === undefined) {
      return refuse(
        socket,
        400,
        `no supported WAMP subprotocol offered (got: ${offered.join(', ') || 'none'}); offer one of ${subprotocols.join(', ')}`,
      )
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const s = ws as unknown as { _socket: Socket }
      s._socket.setNoDelay(true)
      const info = {
        type: 'websocket' as const,
        protocol,
        peer: `tcp:${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
        ...(this.tls === undefined ? {} : { tls: true }),
      }
      this.connect(new WebSocketTransport(ws, info), serializerFor(protocol)!)
    })
  }

  private connect(transport: FrameTransport, serializer: Serializer): void {
    this.connections.add(new Connection(transport, serializer, this))
  }
}

/**
 * A subscriber with more unsent data than this loses events (counted, logged) until it catches up;
 * past a quarter of it, publishers feeding it are paused. About 600 events of 100 bytes; for
 * events that small the memory behind each queued event is a few times its bytes.
 */
const DEFAULT_MAX_EVENT_QUEUE_BYTES = 64 * 1024

/** Connections must finish the WAMP opening handshake within 10 s (Nexus: 5 s): idle sockets cannot pile up. */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000

/** Most a cluster node waits for its last writes to NATS when it stops. */
const CLUSTER_LEAVE_MS = 3000

/** Calls in flight get 10 s to finish on a graceful shutdown (Kubernetes waits 30 s before SIGKILL). */
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000

function nonNegative(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0) || value > 2 ** 31 - 1)
    throw new RouterConfigError(`${what} must be a number of milliseconds from 0 to ${2 ** 31 - 1}`)
  return value
}

function livenessSettings(base: LivenessSettings, override: Partial<LivenessSettings> | undefined, what: string): LivenessSettings {
  const settings = {
    pingIntervalMs: nonNegative(override?.pingIntervalMs, base.pingIntervalMs, `${what}.pingIntervalMs`),
    pongTimeoutMs: nonNegative(override?.pongTimeoutMs, base.pongTimeoutMs, `${what}.pongTimeoutMs`),
  }
  if (settings.pingIntervalMs > 0 && settings.pongTimeoutMs === 0)
    throw new RouterConfigError(`${what}.pongTimeoutMs must be above 0 (pingIntervalMs 0 turns liveness checks off)`)
  return settings
}

function pickProtocol(offered: Set<string>): string | undefined {
  // The client's first acceptable choice wins (Set keeps the offer order).
  for (const p of offered) if (subprotocols.includes(p)) return p
  return undefined
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' }

function refuse(socket: Socket, status: number, reason: string): void {
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
