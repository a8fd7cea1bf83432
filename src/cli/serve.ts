import { randomBytes } from 'node:crypto'
import type { AdminOptions } from '../router/admin/admin-server.js'
import { loadConfigFile, normalizeRealm, type Logger, type RealmConfig, type RouterConfigFile } from '../router/config.js'
import { RouterConfigError } from '../router/errors.js'
import { Router } from '../router/router.js'
import type { TlsOptions } from '../router/tls.js'
import { DEFAULT_NODE_TIMEOUT_MS, type ClusterOptions } from '../router/cluster/options.js'
import { formatDuration } from '../ops/duration.js'
import { UsageError, WampctlError } from '../client/errors.js'
import { saveContext } from './context.js'

export interface ServeOptions {
  host?: string
  port?: number
  realms: string[]
  configFile?: string
  path?: string
  extensions?: boolean
  maxMessageSize?: number
  /** Liveness pings (override the config file's, field by field). */
  liveness?: { pingIntervalMs?: number; pongTimeoutMs?: number }
  handshakeTimeoutMs?: number
  invocationDeadlineMs?: number
  /** Call-queue limits (override the config file's, field by field). */
  callQueue?: { size?: number; maxWaitMs?: number }
  /** RawSocket listen addresses ("HOST:PORT", "unix:/PATH"); replace the config file's when given. */
  rawsocket?: string[]
  /** TLS PEM files; replace the config file's `tls` when `cert` is given. */
  tls?: { cert?: string; key?: string; ca?: string }
  /** The admin listener (/metrics, /healthz, /readyz); merged over the config file's `admin`. */
  admin?: AdminOptions
  /** Grace period of a graceful shutdown, ms. */
  shutdownGraceMs?: number
  /** Join a cluster (docs/cluster.md): merged over the config file's `cluster`, field by field. */
  cluster?: Partial<ClusterOptions>
  /** Write a context for the CLI (default true), under this name. */
  context?: string | false
  logger?: Logger
}

export interface Served {
  router: Router
  admin: { authid: string; secret: string }
  contextPath: string | undefined
  /** The context that was current before this one was written (undefined: none). */
  previousContext: string | undefined
}

export const ADMIN_AUTHID = 'wampctl-admin'

/**
 * Start the embedded router the way `wampctl router start` and `wampctl demo` do: realms from
 * flags or the config file, a fresh admin credential (WAMP-CRA, role admin) in every realm, and
 * a context in the config dir so the CLI on this machine needs no flags.
 */
export async function serve(options: ServeOptions): Promise<Served> {
  const file: RouterConfigFile = options.configFile !== undefined ? loadConfigFile(options.configFile) : {}
  const cluster = clusterOption(file.cluster, options.cluster)
  const secret = await adminSecret(cluster, options.logger)
  const names = options.realms.length > 0 ? options.realms : undefined
  const realms: RealmConfig[] = (file.realms ?? names ?? ['realm1']).map((r) => {
    const cfg = normalizeRealm(r)
    const roles = { ...cfg.roles, admin: cfg.roles.admin ?? { admin: true } }
    const wampcra = { ...(cfg.auth.wampcra ?? {}), [ADMIN_AUTHID]: { secret, role: 'admin' } }
    return {
      name: cfg.name,
      roles,
      auth: { ...cfg.auth, wampcra },
      callQueue: cfg.callQueue,
      liveness: cfg.liveness,
      invocationDeadlineMs: cfg.invocationDeadlineMs,
    }
  })
  if (names !== undefined && file.realms !== undefined) {
    for (const n of names) if (!realms.some((r) => r.name === n)) realms.push(normalizeRealmWithAdmin(n, secret))
  }
  if (options.admin !== undefined && options.admin.port === undefined && file.admin === undefined) {
    throw new UsageError('--admin-token needs --admin HOST:PORT (or "admin" in the config file)')
  }
  const router = new Router({
    ...file,
    realms,
    path: options.path ?? file.path,
    extensions: options.extensions ?? file.extensions,
    maxMessageSize: options.maxMessageSize ?? file.maxMessageSize,
    liveness: { ...file.liveness, ...definedOnly(options.liveness ?? {}) },
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? file.handshakeTimeoutMs,
    invocationDeadlineMs: options.invocationDeadlineMs ?? file.invocationDeadlineMs,
    callQueue: { ...file.callQueue, ...definedOnly(options.callQueue ?? {}) },
    rawsocket: options.rawsocket !== undefined && options.rawsocket.length > 0 ? options.rawsocket : file.rawsocket,
    tls: tlsOption(options.tls) ?? file.tls,
    admin: options.admin === undefined ? file.admin : { ...file.admin, ...definedOnly(options.admin) },
    shutdownGraceMs: options.shutdownGraceMs ?? file.shutdownGraceMs,
    cluster,
    logger: options.logger,
  })
  const host = options.host ?? file.host ?? '127.0.0.1'
  const port = options.port ?? file.port ?? 8080
  try {
    await router.listen({ host, port })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number; address?: string }
    if (e.code !== 'EADDRINUSE') throw err
    if (e.port !== undefined && e.port !== port) {
      // Another listener of the router (RawSocket): its own setting names the port.
      throw new WampctlError(
        `${e.address ?? host}:${e.port} is already in use (another router?); pick another port for that listener`,
        'WAMPCTL_ADDRESS_IN_USE',
        1,
      )
    }
    const from = options.port === undefined && file.port !== undefined ? ` (the config file's "port")` : ''
    throw new WampctlError(
      `port ${port} on ${host}${from} is already in use (another router?); pick another with --port, or --port 0 for a free one`,
      'WAMPCTL_ADDRESS_IN_USE',
      1,
    )
  }
  let contextPath: string | undefined
  let previousContext: string | undefined
  if (options.context !== false) {
    const saved = saveContext(options.context ?? 'local', { url: router.url, realm: realms[0]!.name, authid: ADMIN_AUTHID, secret })
    contextPath = saved.path
    previousContext = saved.previous
  }
  return { router, admin: { authid: ADMIN_AUTHID, secret }, contextPath, previousContext }
}

/**
 * A fresh admin secret; in a cluster, the cluster's (the first node's), so that one node's context
 * works against every node. The cluster module is imported only then: a single router loads no NATS.
 */
async function adminSecret(cluster: ClusterOptions | undefined, logger: Logger | undefined): Promise<string> {
  const fresh = randomBytes(24).toString('base64url')
  if (cluster === undefined) return fresh
  const { clusterAdminSecret } = await import('../router/cluster/admin-secret.js')
  return clusterAdminSecret(cluster, fresh, logger ?? { info: () => {}, warn: () => {}, error: () => {} })
}

function clusterOption(file: ClusterOptions | undefined, flags: Partial<ClusterOptions> | undefined): ClusterOptions | undefined {
  const merged = { ...file, ...definedOnly(flags ?? {}) }
  if (merged.servers === undefined && merged.node === undefined) {
    if (Object.keys(merged).length > 0)
      throw new UsageError('the cluster flags (--cluster-*, --heartbeat, --node-timeout) need --cluster nats://HOST:PORT and --node NAME')
    return undefined
  }
  if (merged.servers === undefined)
    throw new UsageError('--node needs --cluster nats://HOST:PORT (or "cluster.servers" in the config file)')
  if (merged.node === undefined)
    throw new UsageError('--cluster needs --node NAME, unique in the cluster (or "cluster.node" in the config file)')
  const heartbeat = flags?.heartbeatMs
  const timeout = merged.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS
  if (heartbeat !== undefined && 3 * heartbeat > timeout)
    throw new UsageError(
      `--heartbeat ${formatDuration(heartbeat)} must be at most a third of the node timeout (${formatDuration(timeout)}, --node-timeout): two late heartbeats must not make a node dead`,
    )
  return merged as ClusterOptions
}

function tlsOption(tls: ServeOptions['tls']): TlsOptions | undefined {
  if (tls === undefined || (tls.cert === undefined && tls.key === undefined && tls.ca === undefined)) return undefined
  if (tls.cert === undefined || tls.key === undefined) throw new RouterConfigError('TLS needs both --tls-cert and --tls-key')
  return tls.ca === undefined ? { cert: tls.cert, key: tls.key } : { cert: tls.cert, key: tls.key, ca: tls.ca }
}

function normalizeRealmWithAdmin(name: string, secret: string): RealmConfig {
  const cfg = normalizeRealm(name)
  return { name, roles: { ...cfg.roles, admin: { admin: true } }, auth: { wampcra: { [ADMIN_AUTHID]: { secret, role: 'admin' } } } }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
