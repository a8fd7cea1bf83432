import { createHmac, pbkdf2Sync } from 'node:crypto'
import { createRequire } from 'node:module'
import type WebSocketType from 'ws'
import { CloseUri, ErrorUri } from '../protocol/error-uris.js'
import { MessageCode as M } from '../protocol/message-codes.js'
import type { ClientSerializer } from './client-serializers.js'

/**
 * ws through require, not import: its ESM wrapper loads its CommonJS files through the ESM loader,
 * 3× slower (about 40 ms of a one-shot command's start-up on a quiet machine, more on a busy one).
 */
const WebSocket = createRequire(import.meta.url)('ws') as typeof WebSocketType
type WebSocket = WebSocketType
/**
 * wampctl's WAMP v2 client session over one WebSocket: HELLO/WELCOME (anonymous, ticket,
 * WAMP-CRA), CALL with progressive results, REGISTER/INVOCATION/YIELD, SUBSCRIBE/EVENT,
 * acknowledged PUBLISH, GOODBYE. Written for the CLI's needs instead of npm autobahn, whose
 * import (crypto-js, when.js, msgpack5, cbor, tweetnacl: ~125 modules) was a third of every
 * command's start-up. The router side is src/router; nothing here imports it.
 */

type Dict = Record<string, unknown>

/** An ERROR a request received: `error` is the WAMP error URI. */
export class WampErrorReply {
  constructor(
    readonly error: string,
    readonly args: unknown[],
    readonly kwargs: Dict,
  ) {}
}

/** The session closed (GOODBYE, ABORT or a lost connection) while a request waited. */
export class SessionClosed extends Error {
  constructor(readonly reason: string) {
    super(`session closed (${reason})`)
  }
}

export interface Credentials {
  authid?: string
  secret?: string
  ticket?: string
}

export interface Reply {
  args: unknown[]
  kwargs: Dict
  details: Dict
}

export type InvocationHandler = (args: unknown[], kwargs: Dict, details: Dict) => unknown

/** The roles and features wampctl announces in HELLO (what this client implements). */
const ROLES = {
  caller: { features: { progressive_call_results: true, call_timeout: true, caller_identification: true } },
  callee: {
    features: {
      progressive_call_results: true,
      registration_revocation: true,
      shared_registration: true,
      pattern_based_registration: true,
      caller_identification: true,
    },
  },
  publisher: { features: { publisher_identification: true, subscriber_blackwhite_listing: true, publisher_exclusion: true } },
  subscriber: { features: { pattern_based_subscription: true, publisher_identification: true } },
}

interface Pending {
  resolve: (value: Reply) => void
  reject: (err: unknown) => void
  onProgress?: (reply: Reply) => void
}

/** An opened session: `welcome` is WELCOME.Details. */
export class WampSession {
  private nextRequest = 1
  private readonly pending = new Map<number, Pending>()
  private readonly invocationHandlers = new Map<number, InvocationHandler>()
  private readonly eventHandlers = new Map<number, (args: unknown[], kwargs: Dict, details: Dict) => void>()
  private closeReason: string | null = null
  private readonly closeListeners = new Set<(reason: string) => void>()

  private constructor(
    private readonly socket: WebSocket,
    private readonly serializer: ClientSerializer,
    readonly id: number,
    readonly welcome: Dict,
  ) {
    socket.on('message', (data: Buffer) => this.receive(data))
    socket.on('close', () => this.ended(this.closeReason ?? 'lost'))
    socket.on('error', () => {})
  }

  /**
   * Open a WebSocket to `url`, join `realm`. Rejects with a WampErrorReply for an ABORT (its
   * reason URI and details.message), or with the socket's error when no WAMP answer came.
   */
  static open(url: string, realm: string, serializer: ClientSerializer, credentials: Credentials, timeoutMs: number): Promise<WampSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [serializer.protocol], { perMessageDeflate: false, handshakeTimeout: timeoutMs })
      const timer = setTimeout(() => fail(new SessionClosed(`no WELCOME within ${timeoutMs} ms`)), timeoutMs)
      let done = false
      const fail = (err: unknown): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        socket.terminate()
        reject(err)
      }
      const send = (m: unknown[]): void => socket.send(serializer.encode(m))
      socket.on('error', (err) => fail(err))
      socket.on('close', () => fail(new SessionClosed('the connection closed before WELCOME')))
      socket.on('open', () => {
        const authmethods = credentials.secret !== undefined ? ['wampcra'] : credentials.ticket !== undefined ? ['ticket'] : ['anonymous']
        const details: Dict = { roles: ROLES, authmethods }
        if (credentials.authid !== undefined) details.authid = credentials.authid
        send([M.HELLO, realm, details])
      })
      const onMessage = (data: Buffer): void => {
        let m: unknown[]
        try {
          m = serializer.decode(data) as unknown[]
        } catch (err) {
          return fail(err)
        }
        if (!Array.isArray(m)) return fail(new Error('the router sent a message that is not a list'))
        if (m[0] === M.WELCOME) {
          done = true
          clearTimeout(timer)
          socket.off('message', onMessage)
          socket.removeAllListeners('close')
          socket.removeAllListeners('error')
          resolve(new WampSession(socket, serializer, m[1] as number, (m[2] ?? {}) as Dict))
        } else if (m[0] === M.ABORT) {
          const d = (m[1] ?? {}) as Dict
          fail(new WampErrorReply(String(m[2]), typeof d.message === 'string' ? [d.message] : [], d))
        } else if (m[0] === M.CHALLENGE) {
          try {
            send([M.AUTHENTICATE, answerChallenge(String(m[1]), (m[2] ?? {}) as Dict, credentials), {}])
          } catch (err) {
            fail(err)
          }
        } else {
          fail(new Error(`the router sent message ${String(m[0])} before WELCOME`))
        }
      }
      socket.on('message', onMessage)
    })
  }

  get isOpen(): boolean {
    return this.closeReason === null
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.add(listener)
  }

  call(procedure: string, args: unknown[], kwargs: Dict, options: Dict, onProgress?: (reply: Reply) => void): Promise<Reply> {
    return this.request((id) => [M.CALL, id, options, procedure, args, kwargs], onProgress)
  }

  async register(procedure: string, options: Dict, handler: InvocationHandler): Promise<number> {
    const reply = await this.request((id) => [M.REGISTER, id, options, procedure])
    const registration = reply.args[0] as number
    this.invocationHandlers.set(registration, handler)
    return registration
  }

  async unregister(registration: number): Promise<void> {
    await this.request((id) => [M.UNREGISTER, id, registration])
    this.invocationHandlers.delete(registration)
  }

  async subscribe(topic: string, options: Dict, handler: (args: unknown[], kwargs: Dict, details: Dict) => void): Promise<number> {
    const reply = await this.request((id) => [M.SUBSCRIBE, id, options, topic])
    const subscription = reply.args[0] as number
    this.eventHandlers.set(subscription, handler)
    return subscription
  }

  async unsubscribe(subscription: number): Promise<void> {
    this.eventHandlers.delete(subscription)
    await this.request((id) => [M.UNSUBSCRIBE, id, subscription])
  }

  /** An acknowledged PUBLISH: the publication id. */
  async publish(topic: string, args: unknown[], kwargs: Dict): Promise<number> {
    const reply = await this.request((id) => [M.PUBLISH, id, { acknowledge: true }, topic, args, kwargs])
    return reply.args[0] as number
  }

  /** GOODBYE, then close the socket once the router answers (or after `timeoutMs`). */
  close(timeoutMs = 1000): Promise<void> {
    if (this.closeReason !== null) return Promise.resolve()
    this.closeReason = CloseUri.goodbyeAndOut
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate()
        resolve()
      }, timeoutMs)
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      try {
        this.send([M.GOODBYE, {}, CloseUri.normal])
      } catch {
        this.socket.terminate()
      }
    })
  }

  private request(build: (id: number) => unknown[], onProgress?: (reply: Reply) => void): Promise<Reply> {
    if (this.closeReason !== null) return Promise.reject(new SessionClosed(this.closeReason))
    const id = this.nextRequest++
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress })
      try {
        this.send(build(id))
      } catch (err) {
        this.pending.delete(id)
        reject(err)
      }
    })
  }

  private send(m: unknown[]): void {
    this.socket.send(this.serializer.encode(trimPayload(m)))
  }

  private receive(data: Buffer): void {
    let m: unknown[]
    try {
      m = this.serializer.decode(data) as unknown[]
    } catch {
      return
    }
    if (!Array.isArray(m)) return
    switch (m[0]) {
      case M.RESULT: {
        const p = this.pending.get(m[1] as number)
        if (p === undefined) return
        const details = (m[2] ?? {}) as Dict
        const reply = { args: (m[3] ?? []) as unknown[], kwargs: (m[4] ?? {}) as Dict, details }
        if (details.progress === true) p.onProgress?.(reply)
        else {
          this.pending.delete(m[1] as number)
          p.resolve(reply)
        }
        return
      }
      case M.REGISTERED:
      case M.SUBSCRIBED:
      case M.PUBLISHED:
        return this.settle(m[1] as number, { args: [m[2]], kwargs: {}, details: {} })
      case M.UNREGISTERED:
        if (m[1] === 0) {
          // A revocation (registration_revocation): the router removed this callee.
          const d = (m[2] ?? {}) as Dict
          if (typeof d.registration === 'number') this.invocationHandlers.delete(d.registration)
          return
        }
        return this.settle(m[1] as number, { args: [], kwargs: {}, details: {} })
      case M.UNSUBSCRIBED:
        return this.settle(m[1] as number, { args: [], kwargs: {}, details: {} })
      case M.ERROR: {
        const p = this.pending.get(m[2] as number)
        if (p === undefined) return
        this.pending.delete(m[2] as number)
        p.reject(new WampErrorReply(String(m[4]), (m[5] ?? []) as unknown[], (m[6] ?? {}) as Dict))
        return
      }
      case M.EVENT: {
        const handler = this.eventHandlers.get(m[1] as number)
        if (handler === undefined) return
        try {
          handler((m[4] ?? []) as unknown[], (m[5] ?? {}) as Dict, { publication: m[2], ...((m[3] ?? {}) as Dict) })
        } catch {
          /* a subscriber's own failure is not the session's */
        }
        return
      }
      case M.INVOCATION:
        return void this.invoke(m[1] as number, m[2] as number, (m[3] ?? {}) as Dict, (m[4] ?? []) as unknown[], (m[5] ?? {}) as Dict)
      case M.GOODBYE:
        if (this.closeReason === null) {
          this.closeReason = String(m[2])
          try {
            this.send([M.GOODBYE, {}, CloseUri.goodbyeAndOut])
          } catch {
            /* socket closing */
          }
          this.socket.close()
          return
        }
        // The router's answer to our GOODBYE: the session is over; no need to wait for the
        // WebSocket closing handshake (a one-shot command would wait for it before exiting).
        this.socket.terminate()
        return
      case M.ABORT:
        if (this.closeReason === null) this.closeReason = String(m[2])
        this.socket.close()
        return
      default:
        return // INTERRUPT and the like: the handler's answer, if any, is dropped by the router
    }
  }

  private settle(request: number, reply: Reply): void {
    const p = this.pending.get(request)
    if (p === undefined) return
    this.pending.delete(request)
    p.resolve(reply)
  }

  private async invoke(request: number, registration: number, details: Dict, args: unknown[], kwargs: Dict): Promise<void> {
    const handler = this.invocationHandlers.get(registration)
    if (handler === undefined) {
      this.trySend([M.ERROR, M.INVOCATION, request, {}, ErrorUri.noSuchRegistration])
      return
    }
    try {
      const value = await handler(args, kwargs, details)
      this.trySend(value === undefined ? [M.YIELD, request, {}] : [M.YIELD, request, {}, [value]])
    } catch (err) {
      const e = err as { error?: unknown; args?: unknown; kwargs?: unknown; message?: unknown }
      if (e instanceof WampErrorReply || (e !== null && typeof e === 'object' && typeof e.error === 'string')) {
        this.trySend([M.ERROR, M.INVOCATION, request, {}, e.error, (e.args ?? []) as unknown[], (e.kwargs ?? {}) as Dict])
      } else {
        this.trySend([M.ERROR, M.INVOCATION, request, {}, ErrorUri.runtimeError, [String(e?.message ?? err)]])
      }
    }
  }

  private trySend(m: unknown[]): void {
    if (this.closeReason !== null) return
    try {
      this.send(m)
    } catch {
      /* socket closing: the router answers the caller */
    }
  }

  private ended(reason: string): void {
    if (this.closeReason === null) this.closeReason = reason
    const why = this.closeReason
    for (const p of this.pending.values()) p.reject(new SessionClosed(why))
    this.pending.clear()
    for (const l of this.closeListeners) l(why)
    this.closeListeners.clear()
  }
}

/** Args and kwargs go out only when they hold something, as the spec asks (args [] only before kwargs). */
function trimPayload(m: unknown[]): unknown[] {
  const code = m[0]
  const at = code === M.CALL || code === M.PUBLISH ? 4 : code === M.YIELD ? 3 : code === M.ERROR ? 5 : -1
  if (at < 0 || m.length <= at) return m
  const args = m[at] as unknown[] | undefined
  const kwargs = m[at + 1] as Dict | undefined
  const hasKwargs = kwargs !== undefined && Object.keys(kwargs).length > 0
  if (hasKwargs) return m
  const hasArgs = args !== undefined && args.length > 0
  return hasArgs ? m.slice(0, at + 1) : m.slice(0, at)
}

/**
 * The AUTHENTICATE signature for a CHALLENGE: the ticket, or WAMP-CRA's HMAC-SHA256 of the
 * challenge (base64), keyed with the secret or, when the router sends a salt, the PBKDF2-SHA256
 * key derived from it (base64, used as text, as autobahn's auth_cra does).
 */
export function answerChallenge(method: string, extra: Dict, credentials: Credentials): string {
  if (method === 'ticket' && credentials.ticket !== undefined) return credentials.ticket
  if (method === 'wampcra' && credentials.secret !== undefined) {
    const key =
      typeof extra.salt === 'string'
        ? pbkdf2Sync(
            credentials.secret,
            extra.salt,
            typeof extra.iterations === 'number' ? extra.iterations : 1000,
            typeof extra.keylen === 'number' ? extra.keylen : 32,
            'sha256',
          ).toString('base64')
        : credentials.secret
    return createHmac('sha256', key)
      .update(String(extra.challenge ?? ''))
      .digest('base64')
  }
  throw new Error(`the router asked for ${method} authentication, which these credentials cannot answer`)
}
