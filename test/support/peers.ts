import autobahn from 'autobahn'
import type { Wampy } from 'wampy'
import { autobahnSession, wampySession, type AutobahnOptions, type SerializerName } from './clients.js'

/**
 * One test-facing interface over the two real npm clients (autobahn 22, wampy 8), so routing suites
 * run unchanged over every client × serializer. Only what both clients can do is offered here;
 * client-specific behaviour is tested with the clients directly.
 */

export type ClientKind = 'autobahn' | 'wampy'
export const CLIENTS: ClientKind[] = ['autobahn', 'wampy']

export type Dict = Record<string, unknown>

export interface Payload {
  args: unknown[]
  kwargs: Dict
}

export interface Invocation extends Payload {
  /** procedure, caller, caller_authid, caller_authrole as the client saw them. */
  details: Dict
  /** Send a progressive result (only when the router asked this callee for them). */
  progress?: (args: unknown[]) => void
}

export type Handler = (inv: Invocation) => Partial<Payload> | undefined | Promise<Partial<Payload> | undefined>

/** A WAMP ERROR, as a caller receives it or as a handler throws it. */
export class WampFailure extends Error {
  constructor(
    readonly uri: string,
    readonly args: unknown[] = [],
    readonly kwargs: Dict = {},
  ) {
    super(`${uri} ${JSON.stringify(args)}`)
  }
}

export interface CallOptions extends Dict {
  onProgress?: (p: Payload) => void
}

export interface Peer {
  readonly kind: ClientKind
  readonly id: number
  register(uri: string, handler: Handler, options?: Dict): Promise<number>
  unregister(uri: string): Promise<void>
  /** Resolves with the RESULT payload; rejects with WampFailure. */
  call(uri: string, args?: unknown[], kwargs?: Dict, options?: CallOptions): Promise<Payload>
  subscribe(topic: string, handler: (event: Invocation) => void, options?: Dict): Promise<number>
  /** Publishes with acknowledge: resolves with the publication id. */
  publish(topic: string, args?: unknown[], kwargs?: Dict, options?: Dict): Promise<number>
  /** GOODBYE; resolves once the session is closed. */
  leave(): Promise<void>
}

export async function openPeer(kind: ClientKind, url: string, ser: SerializerName = 'json', options: AutobahnOptions = {}): Promise<Peer> {
  return kind === 'autobahn'
    ? autobahnPeer(await autobahnSession(url, ser, options))
    : wampyPeer(await wampySession(url, ser, options.realm))
}

/** What a call rejection or thrown handler error becomes, whichever client raised it. */
export function asFailure(err: unknown): WampFailure {
  if (err instanceof WampFailure) return err
  const e = err as { error?: string; errorUri?: string; args?: unknown[]; kwargs?: Dict; argsList?: unknown[]; argsDict?: Dict }
  if (typeof e?.errorUri === 'string') return new WampFailure(e.errorUri, numbers(e.argsList ?? []), numbers(e.argsDict ?? {}))
  if (typeof e?.error === 'string') return new WampFailure(e.error, e.args ?? [], e.kwargs ?? {})
  throw err instanceof Error ? err : new Error(`not a WAMP error: ${String(err)}`)
}

/** Resolves with the WampFailure a promise rejects with; fails if it resolves. */
export async function failureOf(p: Promise<unknown>): Promise<WampFailure> {
  try {
    const v = await p
    throw new Error(`expected a WAMP error, got ${JSON.stringify(v)}`)
  } catch (err) {
    return asFailure(err)
  }
}

type AbSession = autobahn.Session
interface AbResult {
  args: unknown[]
  kwargs: Dict
}

function fromAutobahnResult(r: unknown): Payload {
  if (r instanceof (autobahn as unknown as { Result: new (...a: unknown[]) => AbResult }).Result) {
    const res = r as AbResult
    return { args: res.args ?? [], kwargs: res.kwargs ?? {} }
  }
  // autobahn gives null both for [null] and for no args at all; [null] keeps meta results (null on a miss) testable.
  return r === undefined ? { args: [], kwargs: {} } : { args: [r], kwargs: {} }
}

function autobahnPeer(s: AbSession): Peer {
  const ab = autobahn as unknown as {
    Result: new (args: unknown[], kwargs: Dict) => AbResult
    Error: new (uri: string, args: unknown[], kwargs: Dict) => Error
  }
  const regs = new Map<string, unknown>()
  return {
    kind: 'autobahn',
    id: s.id,
    async register(uri, handler, options) {
      const reg = await s.register(
        uri,
        async (args: unknown, kwargs: unknown, details: unknown) => {
          const d = details as {
            procedure?: string
            caller?: number
            caller_authid?: string
            caller_authrole?: string
            progress?: (a: unknown[]) => void
          }
          const inv: Invocation = {
            args: (args as unknown[]) ?? [],
            kwargs: (kwargs as Dict) ?? {},
            details: { procedure: d.procedure, caller: d.caller, caller_authid: d.caller_authid, caller_authrole: d.caller_authrole },
          }
          if (typeof d.progress === 'function') inv.progress = (a) => d.progress!(a)
          try {
            const out = await handler(inv)
            return new ab.Result(out?.args ?? [], out?.kwargs ?? {})
          } catch (err) {
            if (err instanceof WampFailure) throw new ab.Error(err.uri, err.args, err.kwargs)
            throw err
          }
        },
        options as autobahn.IRegisterOptions,
      )
      regs.set(uri, reg)
      return (reg as unknown as { id: number }).id
    },
    async unregister(uri) {
      await s.unregister(regs.get(uri) as autobahn.IRegistration)
      regs.delete(uri)
    },
    call(uri, args, kwargs, options = {}) {
      const { onProgress, ...opts } = options
      if (onProgress !== undefined) opts.receive_progress = true
      const p = s.call(uri, args, kwargs, opts as autobahn.ICallOptions) as unknown as {
        then(ok: (r: unknown) => void, fail: (e: unknown) => void, progress: (r: unknown) => void): void
      }
      return new Promise((resolve, reject) =>
        p.then(
          (r) => resolve(fromAutobahnResult(r)),
          (e) => reject(asFailure(e)),
          (r) => onProgress?.(fromAutobahnResult(r)),
        ),
      )
    },
    async subscribe(topic, handler, options) {
      const sub = await s.subscribe(
        topic,
        (args, kwargs, details) =>
          handler({ args: (args as unknown[]) ?? [], kwargs: (kwargs as Dict) ?? {}, details: details as unknown as Dict }),
        options as autobahn.ISubscribeOptions,
      )
      return (sub as unknown as { id: number }).id
    },
    async publish(topic, args, kwargs, options = {}) {
      const pub = await s.publish(topic, args, kwargs, { ...options, acknowledge: true } as autobahn.IPublishOptions)
      return (pub as unknown as { id: number }).id
    },
    leave() {
      if (!s.isOpen) return Promise.resolve()
      return new Promise((resolve) => {
        const before = s.onleave
        s.onleave = (reason, details) => {
          before?.call(s, reason, details)
          resolve()
        }
        s.leave('wamp.close.normal', 'test leaves')
      })
    },
  }
}

/**
 * wampy decodes msgpack 64-bit integers (WAMP ids from any spec-correct router) as BigInt; the
 * suites compare ids as numbers, so the wampy adapter hands them over as numbers.
 */
function numbers<T>(v: T): T {
  if (typeof v === 'bigint') return Number(v) as T
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v
  if (Array.isArray(v)) return v.map(numbers) as T
  if (Object.getPrototypeOf(v) !== Object.prototype) return v
  const out: Dict = {}
  for (const [k, x] of Object.entries(v as Dict)) out[k] = numbers(x)
  return out as T
}

function wampyPeer(w: Wampy): Peer {
  const payloadOf = (args: unknown[] | undefined, kwargs: Dict | undefined): Dict => ({
    argsList: args ?? [],
    ...(kwargs !== undefined ? { argsDict: kwargs } : {}),
  })
  return {
    kind: 'wampy',
    id: Number(w.getSessionId()!),
    async register(uri, handler, options) {
      const r = await w.register(
        uri,
        async (data) => {
          const inv: Invocation = {
            args: numbers(data.argsList ?? []),
            kwargs: numbers(data.argsDict ?? {}),
            details: numbers(data.details),
          }
          if (data.details.receive_progress === true)
            inv.progress = (a) => data.result_handler({ argsList: a, options: { progress: true } })
          try {
            const out = await handler(inv)
            const result: Dict = {}
            if (out?.args !== undefined && out.args.length > 0) result.argsList = out.args
            if (out?.kwargs !== undefined && Object.keys(out.kwargs).length > 0) result.argsDict = out.kwargs
            return Object.keys(result).length === 0 ? null : result
          } catch (err) {
            if (err instanceof WampFailure) throw { error: err.uri, argsList: err.args, argsDict: err.kwargs }
            throw err
          }
        },
        options,
      )
      return Number(r.registrationId)
    },
    async unregister(uri) {
      await w.unregister(uri)
    },
    async call(uri, args, kwargs, options = {}) {
      const { onProgress, ...opts } = options
      if (onProgress !== undefined)
        opts.progress_callback = (r: { argsList?: unknown[]; argsDict?: Dict }) =>
          onProgress({ args: numbers(r.argsList ?? []), kwargs: numbers(r.argsDict ?? {}) })
      try {
        const hasPayload = args !== undefined || kwargs !== undefined
        const r = await w.call(uri, hasPayload ? (payloadOf(args, kwargs) as never) : undefined, opts)
        return { args: numbers(r.argsList ?? []), kwargs: numbers(r.argsDict ?? {}) }
      } catch (err) {
        throw asFailure(err)
      }
    },
    async subscribe(topic, handler, options) {
      const r = await w.subscribe(
        topic,
        (e) => handler({ args: numbers(e.argsList ?? []), kwargs: numbers(e.argsDict ?? {}), details: numbers(e.details) }),
        options,
      )
      return Number(r.subscriptionId)
    },
    async publish(topic, args, kwargs, options) {
      const hasPayload = args !== undefined || kwargs !== undefined
      try {
        const r = await w.publish(topic, hasPayload ? (payloadOf(args, kwargs) as never) : undefined, options)
        return Number(r.publicationId)
      } catch (err) {
        throw asFailure(err)
      }
    },
    async leave() {
      try {
        await w.disconnect()
      } catch {
        /* already closed */
      }
    },
  }
}

/** A running call load: every answer and failure (its error URI) in order. */
export interface CallLoad {
  answers: unknown[]
  failures: string[]
  stop: () => Promise<void>
}

/**
 * Calls `uri` from `caller`, `lanes` calls at a time, until stopped: every answer and failure is
 * kept. Bounded in count and time, with room for a fast machine: local calls alone (while NATS is
 * away) can run thousands per second, and lanes that stopped early would look like a hang.
 */
export function callLoad(caller: Peer, uri: string, lanes = 4): CallLoad {
  const answers: unknown[] = []
  const failures: string[] = []
  let stopped = false
  let n = 0
  const until = Date.now() + 150_000
  const lane = async (): Promise<void> => {
    while (!stopped && n < 2_000_000 && Date.now() < until) {
      n++
      try {
        answers.push((await caller.call(uri, [n])).args[0])
      } catch (err) {
        failures.push(asFailure(err).uri)
      }
    }
  }
  const running = Promise.all(Array.from({ length: lanes }, lane))
  return {
    answers,
    failures,
    stop: async () => {
      stopped = true
      await running
    },
  }
}
