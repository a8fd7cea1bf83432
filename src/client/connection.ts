import { ErrorUri } from '../protocol/error-uris.js'
import { DIRECTED_CALLEE_OPTION } from '../protocol/rollout.js'
import { loadSerializer } from './client-serializers.js'
import { ConnectError, fromWampError } from './errors.js'
import { checkRouterUrl, probeRouterUrl } from './router-url.js'
import { SessionClosed, WampErrorReply, WampSession, type Reply } from './wamp-session.js'

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

/**
 * A WAMP session for wampctl (src/client/wamp-session.ts). Every failure comes back as a
 * WampctlError with a clear message; nothing is printed.
 */
export class WampClient {
  private constructor(
    private readonly session: WampSession,
    readonly url: string,
    readonly realm: string,
  ) {}

  /** WELCOME.Details: authid, authrole, roles and features the router announced. */
  get welcome(): Record<string, unknown> {
    return this.session.welcome
  }

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

  static async connect(options: ConnectOptions): Promise<WampClient> {
    const timeoutMs = options.timeoutMs ?? 5000
    checkRouterUrl(options.url)
    const serializer = await loadSerializer(options.serializer)
    try {
      const session = await WampSession.open(options.url, options.realm, serializer, options, timeoutMs)
      return new WampClient(session, options.url, options.realm)
    } catch (err) {
      if (err instanceof WampErrorReply) {
        const message = typeof err.kwargs.message === 'string' ? err.kwargs.message : undefined
        throw new ConnectError(describeOpenFailure(options, 'closed', { reason: err.error, message }))
      }
      if (err instanceof SessionClosed && err.reason.startsWith('no WELCOME')) {
        throw new ConnectError(`could not reach a WAMP router at ${options.url} within ${timeoutMs} ms`)
      }
      if (err instanceof Error && /authentication, which these credentials cannot answer/.test(err.message)) {
        throw new ConnectError(`the router at ${options.url} refused the session: ${err.message}`)
      }
      // No WAMP answer: ask the address over plain HTTP why (a wrong path gets the server's own 404).
      const why = await probeRouterUrl(options.url)
      throw new ConnectError(`could not reach a WAMP router at ${options.url}${why === null ? ' (unreachable)' : `: ${why}`}`)
    }
  }

  /** `listener` hears the reason (the GOODBYE or ABORT URI, else "lost") once the session ends. */
  onClose(listener: (reason: string) => void): void {
    this.session.onClose(listener)
  }

  get isOpen(): boolean {
    return this.session.isOpen
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
    const progress = options.onProgress
    try {
      return result(
        await this.session.call(
          procedure,
          args,
          kwargs,
          callOptions,
          progress === undefined ? undefined : (p) => progress(p.args, p.kwargs),
        ),
      )
    } catch (err) {
      throw this.wrap(err, procedure)
    }
  }

  /** Like call, with progressive results routed to `onProgress`. */
  callWithProgress(
    procedure: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    onProgress: (args: unknown[], kwargs: Record<string, unknown>) => void,
  ): Promise<CallResult> {
    return this.call(procedure, args, kwargs, { onProgress })
  }

  async subscribe(
    topic: string,
    handler: EventHandler,
    options: { match?: 'exact' | 'prefix' | 'wildcard' } = {},
  ): Promise<() => Promise<void>> {
    try {
      const id = await this.session.subscribe(topic, { ...options }, handler)
      return async () => {
        if (!this.isOpen) return
        try {
          await this.session.unsubscribe(id)
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
   * value (positional; undefined: none) or throws (an Error: wamp.error.runtime_error with its
   * message; an object with an `error` URI: that error). Options pass through (invoke, match, …).
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
      const id = await this.session.register(procedure, { ...options }, handler)
      return {
        id,
        unregister: async () => {
          if (!this.isOpen) return
          try {
            await this.session.unregister(id)
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
      return await this.session.publish(topic, args, kwargs)
    } catch (err) {
      throw this.wrap(err, `publish ${topic}`)
    }
  }

  /** GOODBYE and close (bounded: 1 s). */
  close(): Promise<void> {
    return this.session.close()
  }

  private wrap(err: unknown, what: string): Error {
    if (err instanceof WampErrorReply) return fromWampError(err.error, err.args, err.kwargs, what)
    if (err instanceof SessionClosed || !this.isOpen) return new ConnectError(`the router closed the session during ${what}`)
    return err instanceof Error ? err : new ConnectError(`${what} failed: ${String(err)}`)
  }
}

function result(reply: Reply): CallResult {
  return { args: reply.args, kwargs: reply.kwargs }
}

function describeOpenFailure(options: ConnectOptions, reason: string, details: { reason?: string; message?: string } | undefined): string {
  const why = details?.reason
  if (why !== undefined && why !== null) {
    if (why === ErrorUri.noSuchRealm) return `the router at ${options.url} has no realm '${options.realm}'`
    if (why === ErrorUri.authenticationDenied || why === ErrorUri.authenticationFailed || why === ErrorUri.notAuthorized) {
      return `the router at ${options.url} refused the credentials${options.authid !== undefined ? ` of '${options.authid}'` : ''}`
    }
    if (why === ErrorUri.noAuthMethod)
      return `the router at ${options.url} does not accept ${options.secret !== undefined ? 'wampcra' : options.ticket !== undefined ? 'ticket' : 'anonymous'} authentication on realm '${options.realm}'`
    return `the router at ${options.url} refused the session: ${why}${details?.message ? ` (${details.message})` : ''}`
  }
  return `could not reach a WAMP router at ${options.url} (${reason})`
}
