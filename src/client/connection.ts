import autobahn from 'autobahn'
import { DIRECTED_CALLEE_OPTION } from '../protocol/rollout.js'
import { createRequire } from 'node:module'
import { ConnectError, fromWampError } from './errors.js'
import { checkRouterUrl, probeRouterUrl } from './router-url.js'

// autobahn prints "auto-reconnect disabled!" and the like with console.warn: a CLI must not.
const require = createRequire(import.meta.url)
;(require('autobahn/lib/log.js') as { warn: (...a: unknown[]) => void }).warn = () => {}

export interface ConnectOptions {
  url: string
  realm: string
  /** With `secret`: WAMP-CRA (the secret never crosses the wire); with `ticket`: ticket auth. */
  authid?: string
  secret?: string
  ticket?: string
  /** Give up connecting after this long. Default 5000 ms. */
  timeoutMs?: number
  serializer?: 'json' | 'msgpack' | 'cbor'
}

export interface CallOptions {
  /** Receive progressive results through this callback. */
  onProgress?: (args: unknown[], kwargs: Record<string, unknown>) => void
  /** Router-side call timeout, ms. */
  timeoutMs?: number
  /** A directed call: only the callee on this session may take it (wampctl routers, admin roles). */
  callee?: number
}

export interface CallResult {
  args: unknown[]
  kwargs: Record<string, unknown>
}

export type EventHandler = (args: unknown[], kwargs: Record<string, unknown>, details: Record<string, unknown>) => void

type Session = autobahn.Session

/**
 * A WAMP session for wampctl, on npm autobahn. Every failure comes back as a WampctlError with a
 * clear message; nothing is printed.
 */
export class WampClient {
  private closed = false
  private readonly closeListeners = new Set<(reason: string) => void>()

  private constructor(
    private readonly connection: autobahn.Connection,
    private readonly session: Session,
    readonly url: string,
    readonly realm: string,
    /** WELCOME.Details: authid, authrole, roles and features the router announced. */
    readonly welcome: Record<string, unknown>,
  ) {}

  get sessionId(): number {
    return this.session.id
  }

  get authid(): string | undefined {
    return this.welcome.authid as string | undefined
  }

  get authrole(): string | undefined {
    return this.welcome.authrole as string | undefined
  }

  /** The router's WELCOME.Details.roles (what it says it can do). */
  get routerRoles(): Record<string, { features?: Record<string, boolean> }> {
    return (this.welcome.roles ?? {}) as Record<string, { features?: Record<string, boolean> }>
  }

  static connect(options: ConnectOptions): Promise<WampClient> {
    const timeoutMs = options.timeoutMs ?? 5000
    try {
      checkRouterUrl(options.url)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    return new Promise((resolve, reject) => {
      const s = (autobahn as unknown as { serializer: Record<string, new () => unknown> }).serializer
      const serializer =
        options.serializer === 'msgpack'
          ? new s.MsgpackSerializer!()
          : options.serializer === 'cbor'
            ? new s.CBORSerializer!()
            : new s.JSONSerializer!()
      const authmethods = options.secret !== undefined ? ['wampcra'] : options.ticket !== undefined ? ['ticket'] : ['anonymous']
      const connection = new autobahn.Connection({
        url: options.url,
        realm: options.realm,
        max_retries: 0,
        // A handler that throws already answers its caller with an ERROR; autobahn would also console.error it (and tear a TUI).
        on_user_error: () => {},
        serializers: [serializer],
        authid: options.authid,
        authmethods,
        onchallenge: (
          _session: Session,
          method: string,
          extra: { challenge?: string; salt?: string; iterations?: number; keylen?: number },
        ) => {
          if (method === 'ticket' && options.ticket !== undefined) return options.ticket
          if (method === 'wampcra' && options.secret !== undefined) {
            const cra = (
              autobahn as unknown as {
                auth_cra: { sign(k: string, c: string): string; derive_key(s: string, salt: string, it?: number, kl?: number): string }
              }
            ).auth_cra
            const key =
              extra.salt !== undefined ? cra.derive_key(options.secret, extra.salt, extra.iterations, extra.keylen) : options.secret
            return cra.sign(key, extra.challenge ?? '')
          }
          throw new Error(`the router asked for ${method} authentication, which these credentials cannot answer`)
        },
      } as unknown as autobahn.IConnectionOptions)
      let settled = false
      const timer = setTimeout(() => {
        if (settled) return
        settled = true
        try {
          connection.close()
        } catch {
          /* not open */
        }
        reject(new ConnectError(`could not reach a WAMP router at ${options.url} within ${timeoutMs} ms`))
      }, timeoutMs)
      let client: WampClient | undefined
      connection.onopen = (session, details) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        client = new WampClient(connection, session, options.url, options.realm, (details ?? {}) as unknown as Record<string, unknown>)
        resolve(client)
      }
      connection.onclose = (reason, details) => {
        if (client !== undefined) {
          client.closed = true
          for (const l of client.closeListeners) l(details?.reason ?? reason)
          return true
        }
        if (settled) return true
        settled = true
        clearTimeout(timer)
        if (details?.reason !== undefined && details.reason !== null) {
          reject(new ConnectError(describeOpenFailure(options, reason, details)))
          return true
        }
        // No WAMP answer: ask the address over plain HTTP why (a wrong path gets the server's own 404).
        void probeRouterUrl(options.url).then((why) =>
          reject(new ConnectError(`could not reach a WAMP router at ${options.url}${why === null ? ` (${reason})` : `: ${why}`}`)),
        )
        return true
      }
      connection.open()
    })
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.add(listener)
  }

  get isOpen(): boolean {
    return !this.closed
  }

  async call(
    procedure: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallResult> {
    const callOptions: Record<string, unknown> = {}
    if (options.onProgress !== undefined) callOptions.receive_progress = true
    if (options.timeoutMs !== undefined) callOptions.timeout = options.timeoutMs
    if (options.callee !== undefined) callOptions[DIRECTED_CALLEE_OPTION] = options.callee
    try {
      return unwrap(await this.session.call(procedure, args, kwargs, callOptions))
    } catch (err) {
      throw this.wrap(err, procedure)
    }
  }

  /** Like call, with progressive results routed to `onProgress` (autobahn's promise notify). */
  async callWithProgress(
    procedure: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    onProgress: (args: unknown[], kwargs: Record<string, unknown>) => void,
  ): Promise<CallResult> {
    const d = this.session.call(procedure, args, kwargs, { receive_progress: true }) as unknown as Promise<unknown> & {
      then: (ok: (v: unknown) => unknown, fail: (e: unknown) => unknown, progress: (p: unknown) => void) => unknown
    }
    return new Promise<CallResult>((resolve, reject) => {
      d.then(
        (res) => resolve(unwrap(res)),
        (err) => reject(this.wrap(err, procedure)),
        (p) => {
          const r = unwrap(p)
          onProgress(r.args, r.kwargs)
        },
      )
    })
  }

  async subscribe(
    topic: string,
    handler: EventHandler,
    options: { match?: 'exact' | 'prefix' | 'wildcard' } = {},
  ): Promise<() => Promise<void>> {
    try {
      const sub = await this.session.subscribe(
        topic,
        (args, kwargs, details) => handler(args ?? [], kwargs ?? {}, (details ?? {}) as unknown as Record<string, unknown>),
        options,
      )
      return async () => {
        if (this.closed) return
        try {
          await this.session.unsubscribe(sub)
        } catch {
          /* session closing */
        }
      }
    } catch (err) {
      throw this.wrap(err, `subscribe ${topic}`)
    }
  }

  /**
   * Register a procedure (wampctl demo services, test callees). `handler` returns the result
   * value (positional) or throws; options pass through (invoke, match, …).
   * Returns a function that unregisters.
   */
  async register(
    procedure: string,
    handler: (args: unknown[], kwargs: Record<string, unknown>, details: Record<string, unknown>) => unknown,
    options: {
      invoke?: 'single' | 'roundrobin' | 'random' | 'first' | 'last'
      match?: 'exact' | 'prefix' | 'wildcard'
      disclose_caller?: boolean
    } = {},
  ): Promise<{ id: number; unregister: () => Promise<void> }> {
    try {
      const reg = await this.session.register(
        procedure,
        (args, kwargs, details) => handler(args ?? [], kwargs ?? {}, (details ?? {}) as unknown as Record<string, unknown>),
        options,
      )
      return {
        id: (reg as unknown as { id: number }).id,
        unregister: async () => {
          if (this.closed) return
          try {
            await this.session.unregister(reg)
          } catch {
            /* revoked or session closing */
          }
        },
      }
    } catch (err) {
      throw this.wrap(err, `register ${procedure}`)
    }
  }

  async publish(topic: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<number | undefined> {
    try {
      const pub = await this.session.publish(topic, args, kwargs, { acknowledge: true })
      return (pub as unknown as { id?: number } | undefined)?.id
    } catch (err) {
      throw this.wrap(err, `publish ${topic}`)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000)
      this.connection.onclose = () => {
        clearTimeout(timer)
        resolve()
        return true
      }
      try {
        this.connection.close()
      } catch {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private wrap(err: unknown, what: string): Error {
    const e = err as { error?: unknown; args?: unknown[]; kwargs?: Record<string, unknown> }
    if (e !== null && typeof e === 'object' && typeof e.error === 'string') {
      return fromWampError(e.error, e.args ?? [], e.kwargs ?? {}, what)
    }
    if (this.closed) return new ConnectError(`the router closed the session during ${what}`)
    return err instanceof Error ? err : new ConnectError(`${what} failed: ${String(err)}`)
  }
}

/** autobahn hands over a bare value for a single positional result, a Result otherwise; null for none. */
function unwrap(res: unknown): CallResult {
  const Result = (autobahn as unknown as { Result: new () => object }).Result
  if (res instanceof Result) {
    const r = res as unknown as { args?: unknown[]; kwargs?: Record<string, unknown> }
    return { args: r.args ?? [], kwargs: r.kwargs ?? {} }
  }
  return { args: res === null || res === undefined ? [] : [res], kwargs: {} }
}

function describeOpenFailure(options: ConnectOptions, reason: string, details: { reason?: string; message?: string } | undefined): string {
  const why = details?.reason
  if (why !== undefined && why !== null) {
    if (why === 'wamp.error.no_such_realm') return `the router at ${options.url} has no realm '${options.realm}'`
    if (why === 'wamp.error.authentication_denied' || why === 'wamp.error.authentication_failed' || why === 'wamp.error.not_authorized') {
      return `the router at ${options.url} refused the credentials${options.authid !== undefined ? ` of '${options.authid}'` : ''}`
    }
    if (why === 'wamp.error.no_auth_method')
      return `the router at ${options.url} does not accept ${options.secret !== undefined ? 'wampcra' : options.ticket !== undefined ? 'ticket' : 'anonymous'} authentication on realm '${options.realm}'`
    return `the router at ${options.url} refused the session: ${why}${details?.message ? ` (${details.message})` : ''}`
  }
  return `could not reach a WAMP router at ${options.url} (${reason})`
}
