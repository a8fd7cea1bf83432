import { CloseUri, ErrorUri } from '../protocol/error-uris.js'
import { MessageCode, messageName } from '../protocol/message-codes.js'
import type { Logger } from './config.js'
import { peerAddress, type AuthThrottle } from './auth-throttle.js'
import { beginAuthentication, type AuthConfig, type AuthStep } from './authenticator.js'
import { AUTH_FAILURE_URIS, DropReason, type RouterCounters } from './counters.js'
import { HandshakeError, PayloadSizeExceededError, ProtocolViolationError, RouterError } from './errors.js'
import { checkFrame, transportCap, type FrameLimits, type RefusedFrame } from './frame-limits.js'
import { isId, parseInbound, type Dict, type Inbound } from './inbound.js'
import { checkOptions } from './option-checks.js'
import type { Realm } from './realm.js'
import type { Serializer } from './serializers.js'
import { readFeatures, Session, type Identity, type SessionTransport } from './session.js'
import type { CloseKind, FrameTransport, TransportInfo } from './transport.js'
import { Liveness } from './liveness.js'
import { EventDelivery, EventFlow, type EventFlowHost } from './event-flow.js'
import { corkForThisTick } from './write-batcher.js'

/** What a connection needs from the router that accepted it. */
export interface ConnectionHost extends EventFlowHost {
  realm(name: string): Realm | undefined
  authConfig(realm: string): AuthConfig
  welcomeRoles(): Dict
  newSessionId(): number
  readonly frameLimits: FrameLimits
  readonly authThrottle: AuthThrottle
  /** A peer whose unsent data grows past this is too slow: its session is dropped. */
  readonly maxBufferedBytes: number
  /** The router's counters (messages, drops, failures), incremented here where things happen. */
  readonly counters: RouterCounters
  /** One line per session open/close and per failure. */
  readonly logger: Logger
  /** False once a shutdown began: HELLO gets ABORT wamp.close.system_shutdown. */
  readonly acceptingSessions: boolean
  /** Close a connection whose WAMP opening handshake is not done after this many ms (0 = never). */
  readonly handshakeTimeoutMs: number
  /** The router dropped this peer on its own initiative: log it (one line) and count it. */
  peerDropped(c: Connection, reason: 'liveness_timeout' | 'handshake_timeout', detail: string): void
  onInternalError(err: unknown, context: string): void
  connectionClosed(c: Connection): void
}

type State = 'idle' | 'challenged' | 'established' | 'closing' | 'closed'

/** Requests whose failure is answered with ERROR (the rest have no reply message). */
const ANSWERABLE: ReadonlySet<number> = new Set([
  MessageCode.CALL,
  MessageCode.REGISTER,
  MessageCode.UNREGISTER,
  MessageCode.SUBSCRIBE,
  MessageCode.UNSUBSCRIBE,
  MessageCode.PUBLISH,
  MessageCode.CANCEL,
])

/**
 * One transport (WebSocket, RawSocket) carrying WAMP sessions: decodes and checks each frame once, runs the session
 * state machine (HELLO → [CHALLENGE/AUTHENTICATE] → WELCOME → … → GOODBYE), dispatches to the
 * realm's dealer and broker, and maps every failure to its ERROR or ABORT here, in one place.
 */
export class Connection implements SessionTransport {
  readonly info: TransportInfo
  private state: State = 'idle'
  private session: Session | undefined
  private pending:
    { realm: Realm; sessionId: number; roles: Dict; authid: string; step: Extract<AuthStep, { kind: 'challenge' }> } | undefined
  private closeTimer: NodeJS.Timeout | undefined
  private handshakeTimer: NodeJS.Timeout | undefined
  private liveness: Liveness | undefined
  /** Overload policy: events dropped for this peer as a subscriber, pushback on it as a publisher. */
  readonly events: EventFlow
  /** Frames read but not handled while this publisher is held back (at most what one read brought). */
  private readonly backlog: Buffer[] = []

  constructor(
    private readonly transport: FrameTransport,
    readonly serializer: Serializer,
    private readonly host: ConnectionHost,
  ) {
    this.info = transport.info
    this.events = new EventFlow(transport, host, () => this.takeBacklog())
    transport.attach({
      frame: (data) => this.onFrame(data),
      pong: () => this.liveness?.alive(),
      closed: () => this.onClose(),
    })
    this.capFrames()
    this.startHandshakeTimer()
  }

  get currentSession(): Session | undefined {
    return this.session
  }

  /** Bytes accepted for sending and not yet handed to the kernel (backpressure, read at scrape time). */
  get bufferedAmount(): number {
    return this.transport.bufferedAmount
  }

  /** Bytes received and sent on this transport's socket so far (read at scrape time). */
  get bytes(): { in: number; out: number } {
    return { in: this.transport.socket.bytesRead, out: this.transport.socket.bytesWritten }
  }

  // ── Outgoing ────────────────────────────────────────────────────────────────────────────

  send(message: unknown[]): void {
    if (this.state === 'closed') return
    const data = this.serializer.encode(message)
    if (this.overPeerLimit(data)) return this.undeliverable(message, data)
    this.host.counters.messageOut(message[0] as number)
    this.write(data)
  }

  sendEvent(data: Buffer | string): EventDelivery {
    if (this.state === 'closed') return EventDelivery.sent
    if (this.overPeerLimit(data)) {
      this.undeliverable(undefined, data)
      return EventDelivery.dropped
    }
    const delivery = this.events.admit()
    if (delivery === EventDelivery.dropped) return delivery
    this.host.counters.messageOut(MessageCode.EVENT)
    this.write(data)
    return delivery
  }

  /** Send `message`, already encoded with this connection's serializer (the dealer encodes first, to refuse what the peer cannot receive). */
  sendEncoded(data: Buffer | string, message: unknown[]): void {
    if (this.state === 'closed') return
    if (this.overPeerLimit(data)) return this.undeliverable(message, data)
    this.host.counters.messageOut(message[0] as number)
    this.write(data)
  }

  private write(data: Buffer | string): void {
    if (this.transport.bufferedAmount > this.host.maxBufferedBytes) return this.tooSlow()
    corkForThisTick(this.transport)
    this.transport.send(data, this.serializer.binary)
  }

  /** Larger than the peer said it accepts (RawSocket handshake). Cheap when there is no limit. */
  private overPeerLimit(data: Buffer | string): boolean {
    const max = this.transport.maxSendBytes
    if (typeof data !== 'string') return data.length > max
    return data.length * 3 > max && Buffer.byteLength(data) > max // UTF-8 is at most 3 bytes per UTF-16 unit
  }

  /**
   * A message too large for the peer cannot be sent (spec, RawSocket "Serialization" leaves the
   * handling to the router). Whoever waits on it still gets an answer: a RESULT or ERROR becomes
   * an ERROR without payload; an INVOCATION fails back to its caller as if the callee had answered
   * with payload_size_exceeded. An EVENT is dropped for this subscriber only. Anything else
   * (WELCOME, CHALLENGE, GOODBYE…) leaves the peer nothing to go on: the connection is failed.
   */
  private undeliverable(message: unknown[] | undefined, data: Buffer | string): void {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length
    const err = new PayloadSizeExceededError(size, this.transport.maxSendBytes)
    const type = message?.[0]
    if (type === MessageCode.RESULT) return this.send([MessageCode.ERROR, MessageCode.CALL, message![1], {}, err.uri, [err.message]])
    if (type === MessageCode.ERROR) return this.send([MessageCode.ERROR, message![1], message![2], {}, err.uri, [err.message]])
    const session = this.session
    if (type === MessageCode.INVOCATION && session !== undefined) {
      // Deferred: the dealer is still inside the call that sent this INVOCATION.
      const request = message![1] as number
      queueMicrotask(() => {
        if (this.session === session) session.realm.dealer.invocationError(session, request, err.uri, [err.message], undefined)
      })
      return
    }
    this.host.logger.warn('message not sent', {
      peer: this.info.peer,
      session: this.session?.id,
      type: type === undefined ? 'EVENT' : messageName(type as number),
      message: `${err.message} the peer accepts`,
    })
    // Without its WELCOME, CHALLENGE or GOODBYE the peer would wait forever: fail the connection.
    if (type !== MessageCode.EVENT && message !== undefined) {
      this.leaveRealm(ErrorUri.payloadSizeExceeded)
      this.state = 'closed'
      this.transport.terminate()
    }
  }

  /** The router ends the session (kill, shutdown): GOODBYE, then wait briefly for the peer's GOODBYE. */
  goodbye(reason: string, message?: string): void {
    if (this.state !== 'established') return
    if (this.session !== undefined) this.logClosed(this.session, reason)
    this.session = undefined
    this.host.counters.peerDropped(reason === CloseUri.systemShutdown ? DropReason.shutdown : DropReason.killed)
    this.send([MessageCode.GOODBYE, message === undefined ? {} : { message }, reason])
    this.state = 'closing'
    this.closeTimer = setTimeout(() => this.transport.close('normal', 'session closed'), 2000)
    this.closeTimer.unref()
  }

  /** Abort the session (or the handshake) with `reason`, then close the transport. */
  abort(reason: string, message: string): void {
    if (this.state === 'closed') return
    if (reason === ErrorUri.protocolViolation) {
      this.host.counters.protocolViolations++
      this.host.counters.peerDropped(DropReason.protocolViolation)
    }
    this.host.logger.warn(this.session === undefined ? 'handshake refused' : 'session aborted', {
      peer: this.info.peer,
      session: this.session?.id,
      error: reason,
      message,
    })
    this.leaveRealm(reason)
    this.send([MessageCode.ABORT, { message }, reason])
    this.state = 'closing'
    this.transport.close(reason === ErrorUri.protocolViolation ? 'protocol-error' : 'normal', message)
  }

  /** Close the transport under whatever session runs on it (router shutdown). */
  closeTransport(kind: CloseKind, reason: string): void {
    this.transport.close(kind, reason)
  }

  terminate(): void {
    this.transport.terminate()
  }

  private tooSlow(): void {
    this.host.counters.peerDropped(DropReason.tooSlow)
    this.host.logger.warn('peer dropped', {
      peer: this.info.peer,
      session: this.session?.id,
      reason: DropReason.tooSlow,
      message: `more than ${this.host.maxBufferedBytes} bytes unsent: it reads too slowly`,
    })
    this.leaveRealm(DropReason.tooSlow)
    this.state = 'closed'
    this.transport.terminate()
  }

  // ── Incoming ────────────────────────────────────────────────────────────────────────────

  /** The transport's frame cap for the current state: small until the session is established. */
  private capFrames(): void {
    const limits = this.host.frameLimits
    this.transport.setFrameCap?.(transportCap(this.state === 'established' ? limits.messageSize : limits.handshakeMessageSize))
  }

  private onFrame(data: Buffer): void {
    if (this.state === 'closed') return
    this.liveness?.alive()
    // Held back as a publisher: frames the transport had already read wait their turn, in order.
    if (this.events.held || this.backlog.length > 0) {
      this.backlog.push(data)
      return
    }
    this.handleFrame(data)
  }

  /** Pushback ended: handle the frames that waited, until done or held back again. */
  private takeBacklog(): void {
    let i = 0
    while (i < this.backlog.length && !this.events.held && this.state !== 'closed') this.handleFrame(this.backlog[i++]!)
    this.backlog.splice(0, i)
  }

  private handleFrame(data: Buffer): void {
    const limits = this.host.frameLimits
    const refused = checkFrame(
      data,
      this.serializer.protocol,
      this.state === 'established' ? limits.messageSize : limits.handshakeMessageSize,
      limits.structure,
    )
    if (refused !== undefined) return this.refuse(refused)
    let raw: unknown
    try {
      raw = this.serializer.decode(data)
    } catch (err) {
      this.host.counters.malformedFrames++
      return this.abort(ErrorUri.protocolViolation, `could not decode a ${this.serializer.protocol} frame: ${(err as Error).message}`)
    }
    let msg: Inbound
    try {
      msg = parseInbound(raw)
    } catch (err) {
      this.host.counters.malformedFrames++
      return this.abort(ErrorUri.protocolViolation, (err as Error).message)
    }
    this.host.counters.messageIn(msg.type)
    try {
      this.dispatch(msg)
    } catch (err) {
      this.fail(msg, err)
    }
  }

  private dispatch(msg: Inbound): void {
    if (this.state === 'established') {
      const s = this.session!
      const realm = s.realm
      checkOptions(msg)
      switch (msg.type) {
        case MessageCode.CALL:
          return realm.dealer.call(s, msg.request, msg.options, msg.procedure, msg.args, msg.kwargs)
        case MessageCode.YIELD:
          return realm.dealer.yield(s, msg.request, msg.options, msg.args, msg.kwargs)
        case MessageCode.ERROR:
          if (msg.requestType !== MessageCode.INVOCATION) {
            throw new ProtocolViolationError(`ERROR for ${messageName(msg.requestType)}: a client may only send ERROR for an INVOCATION`)
          }
          return realm.dealer.invocationError(s, msg.request, msg.error, msg.args, msg.kwargs)
        case MessageCode.PUBLISH:
          return realm.broker.publish(s, msg.request, msg.options, msg.topic, msg.args, msg.kwargs)
        case MessageCode.REGISTER:
          return realm.dealer.register(s, msg.request, msg.options, msg.procedure)
        case MessageCode.UNREGISTER:
          return realm.dealer.unregister(s, msg.request, msg.registration)
        case MessageCode.SUBSCRIBE:
          return realm.broker.subscribe(s, msg.request, msg.options, msg.topic)
        case MessageCode.UNSUBSCRIBE:
          return realm.broker.unsubscribe(s, msg.request, msg.subscription)
        case MessageCode.CANCEL:
          return realm.dealer.cancel(s, msg.request, msg.options)
        case MessageCode.GOODBYE:
          this.leaveRealm(msg.reason)
          this.send([MessageCode.GOODBYE, {}, CloseUri.goodbyeAndOut])
          this.state = 'idle' // the transport may carry a new session (spec); the peer usually closes it
          this.capFrames()
          this.startHandshakeTimer()
          return
        case MessageCode.ABORT:
          this.leaveRealm(msg.reason)
          this.state = 'closing'
          this.transport.close('normal', '')
          return
        default:
          throw new ProtocolViolationError(`${messageName(msg.type)} is not allowed once the session is established`)
      }
    }
    if (this.state === 'idle') {
      if (msg.type === MessageCode.HELLO) return this.hello(msg.realm, msg.details)
      if (msg.type === MessageCode.ABORT || msg.type === MessageCode.GOODBYE) return
      throw new ProtocolViolationError(`${messageName(msg.type)} before HELLO: the session is not established`)
    }
    if (this.state === 'challenged') {
      if (msg.type === MessageCode.AUTHENTICATE) return this.authenticate(msg.signature)
      if (msg.type === MessageCode.ABORT) {
        this.pending = undefined
        this.state = 'closing'
        this.transport.close('normal', '')
        return
      }
      throw new ProtocolViolationError(`${messageName(msg.type)} while authenticating: expected AUTHENTICATE`)
    }
    if (this.state === 'closing' && msg.type === MessageCode.GOODBYE) {
      // The peer's answer to our GOODBYE: the transport is done.
      clearTimeout(this.closeTimer)
      this.transport.close('normal', '')
    }
    // Anything else while closing is dropped: the session is already gone.
  }

  private hello(realmName: string, details: Dict): void {
    if (!this.host.acceptingSessions) throw new HandshakeError(CloseUri.systemShutdown, 'the router is shutting down')
    const realm = this.host.realm(realmName)
    if (realm === undefined) throw new HandshakeError(ErrorUri.noSuchRealm, `no realm '${realmName}' on this router`)
    const roles = details.roles
    if (roles === null || typeof roles !== 'object' || Array.isArray(roles) || Object.keys(roles).length === 0) {
      throw new ProtocolViolationError('HELLO.Details.roles must announce at least one role')
    }
    const sessionId = this.host.newSessionId()
    const step = beginAuthentication(this.host.authConfig(realmName), details, sessionId)
    if (step.kind === 'welcome') return this.welcome(realm, sessionId, roles as Dict, step.identity)
    const authid = typeof details.authid === 'string' ? details.authid : '' // cryptosign may name none (found by key)
    this.host.authThrottle.check(realm.name, authid, peerAddress(this.info.peer))
    this.pending = { realm, sessionId, roles: roles as Dict, authid, step }
    this.state = 'challenged'
    this.send([MessageCode.CHALLENGE, step.method, step.extra])
  }

  private authenticate(signature: string): void {
    const p = this.pending!
    this.pending = undefined
    const throttle = this.host.authThrottle
    const address = peerAddress(this.info.peer)
    throttle.check(p.realm.name, p.authid, address)
    let identity: Identity
    try {
      identity = p.step.verify(signature)
    } catch (err) {
      throttle.failed(p.realm.name, p.authid, address, p.step.method)
      throw err
    }
    throttle.succeeded(p.realm.name, p.authid)
    this.welcome(p.realm, p.sessionId, p.roles, identity)
  }

  private welcome(realm: Realm, sessionId: number, roles: Dict, identity: Identity): void {
    if (!realm.authorizer.hasRole(identity.authrole)) {
      throw new HandshakeError(ErrorUri.noSuchRole, `role '${identity.authrole}' is not configured on realm '${realm.name}'`)
    }
    const session = new Session(sessionId, realm, this, identity, roles, readFeatures(roles))
    this.session = session
    this.state = 'established'
    this.capFrames()
    clearTimeout(this.handshakeTimer)
    // Liveness is the realm's (it may override the router's); the first session on the transport sets it.
    this.liveness ??= new Liveness(realm.liveness, {
      sendPing: () => this.transport.ping(),
      onDead: () => this.dropDead(),
    })
    this.send([
      MessageCode.WELCOME,
      sessionId,
      {
        realm: realm.name,
        authid: identity.authid,
        authrole: identity.authrole,
        authmethod: identity.authmethod,
        authprovider: identity.authprovider,
        ...(identity.authextra !== undefined ? { authextra: identity.authextra } : {}),
        roles: this.host.welcomeRoles(),
        agent: 'wampctl-router',
      },
    ])
    realm.join(session)
    this.host.logger.info('session opened', {
      realm: realm.name,
      session: sessionId,
      authid: identity.authid,
      authrole: identity.authrole,
      authmethod: identity.authmethod,
      transport: this.info.type,
      serializer: this.serializer.protocol,
      peer: this.info.peer,
    })
  }

  /**
   * Answer a frame refused before decoding, from its leading integers: an established session's
   * request gets its ERROR (a callee's YIELD or ERROR fails the call instead: its caller is
   * answered); anything else, or a malformed frame, aborts the session.
   */
  private refuse(refused: RefusedFrame): void {
    const { error, head } = refused
    const [type, a, b] = head
    if (refused.fatal) this.host.counters.malformedFrames++
    else if (this.state === 'established' && type !== undefined) {
      const s = this.session!
      if (type === MessageCode.YIELD && isId(a)) return s.realm.dealer.invocationError(s, a, error.uri, [error.message], undefined)
      if (type === MessageCode.ERROR && a === MessageCode.INVOCATION && isId(b)) {
        return s.realm.dealer.invocationError(s, b, error.uri, [error.message], undefined)
      }
      if (ANSWERABLE.has(type) && isId(a)) return this.send([MessageCode.ERROR, type, a, {}, error.uri, [error.message]])
    }
    this.abort(ErrorUri.protocolViolation, error.message)
  }

  /** Map a failure while handling `msg` to its answer. */
  private fail(msg: Inbound, err: unknown): void {
    if (err instanceof ProtocolViolationError) return this.abort(err.uri, err.message)
    if (err instanceof HandshakeError) {
      if (AUTH_FAILURE_URIS.has(err.uri)) this.host.counters.authFailed(err.uri)
      return this.abort(err.uri, err.message)
    }
    if (!(err instanceof RouterError)) this.host.onInternalError(err, `handling ${messageName(msg.type)}`)
    const uri = err instanceof RouterError ? err.uri : ErrorUri.internal
    const text = err instanceof RouterError ? err.message : `the router failed to handle ${messageName(msg.type)}`
    if (this.state === 'established' && ANSWERABLE.has(msg.type) && 'request' in msg) {
      const m: unknown[] = [MessageCode.ERROR, msg.type, msg.request, {}, uri, [text]]
      if (err instanceof RouterError && err.kwargs !== undefined) m.push(err.kwargs)
      this.send(m)
    } else if (this.state !== 'established') {
      this.abort(uri, text)
    }
  }

  // ── Peers that stopped talking ──────────────────────────────────────────────────────────

  /** A connection must complete HELLO (→ CHALLENGE → AUTHENTICATE) → WELCOME within the handshake timeout. */
  private startHandshakeTimer(): void {
    const ms = this.host.handshakeTimeoutMs
    if (ms <= 0) return
    clearTimeout(this.handshakeTimer)
    this.handshakeTimer = setTimeout(() => this.handshakeTimedOut(ms), ms)
    this.handshakeTimer.unref()
  }

  private handshakeTimedOut(ms: number): void {
    if (this.state !== 'idle' && this.state !== 'challenged') return
    const what = this.state === 'idle' ? 'no HELLO' : 'no AUTHENTICATE for the CHALLENGE'
    this.host.peerDropped(this, 'handshake_timeout', `${what} within ${ms} ms`)
    if (this.state === 'challenged') {
      this.pending = undefined
      this.send([MessageCode.ABORT, { message: `${what} within ${ms} ms` }, ErrorUri.timeout])
    }
    this.state = 'closing'
    this.transport.close('normal', 'handshake timeout')
  }

  /** The peer missed its pong: drop it exactly like a lost transport (callers answered, meta events), then cut it. */
  private dropDead(): void {
    if (this.state === 'closed') return
    this.host.peerDropped(this, 'liveness_timeout', `session ${this.session?.id ?? 'none'} sent nothing, not even a pong, after a ping`)
    try {
      this.leaveRealm(DropReason.livenessTimeout)
    } finally {
      this.state = 'closed'
      this.transport.terminate()
    }
  }

  /** The session ends for `reason` (the peer's GOODBYE/ABORT reason, or why the router ended it). */
  private leaveRealm(reason: string): void {
    const s = this.session
    this.session = undefined
    if (s === undefined) return
    this.logClosed(s, reason)
    s.realm.leave(s)
  }

  private logClosed(s: Session, reason: string): void {
    this.host.logger.info('session closed', {
      realm: s.realm.name,
      session: s.id,
      authid: s.authid,
      reason,
      duration_ms: Date.now() - s.joinedAt.getTime(),
    })
  }

  private onClose(): void {
    clearTimeout(this.closeTimer)
    const bytes = this.bytes
    this.host.counters.closedBytesIn += bytes.in
    this.host.counters.closedBytesOut += bytes.out
    clearTimeout(this.handshakeTimer)
    this.liveness?.stop()
    this.events.stop()
    try {
      this.leaveRealm('transport closed')
    } catch (err) {
      this.host.onInternalError(err, 'closing a session')
    }
    this.state = 'closed'
    this.host.connectionClosed(this)
  }
}
