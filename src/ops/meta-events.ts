import { RegistrationMeta, SessionMeta, SubscriptionMeta } from '../protocol/meta-uris.js'
import type { MetaClient } from '../client/meta-client.js'
import { ExtensionUri, type CalleeStateEvent } from '../protocol/extensions.js'
import { RolloutUri, type RolloutUpdate } from '../protocol/rollout.js'

/** The topics `wampctl events` tails, in the order it subscribes to them. */
export const META_EVENT_TOPICS = [
  SessionMeta.onJoin,
  SessionMeta.onLeave,
  RegistrationMeta.onCreate,
  RegistrationMeta.onRegister,
  RegistrationMeta.onUnregister,
  RegistrationMeta.onDelete,
  SubscriptionMeta.onCreate,
  SubscriptionMeta.onSubscribe,
  SubscriptionMeta.onUnsubscribe,
  SubscriptionMeta.onDelete,
  ExtensionUri.onState,
  RolloutUri.onUpdate,
] as const

export type MetaEventKind =
  | 'join'
  | 'leave'
  | 'reg-create'
  | 'register'
  | 'unregister'
  | 'reg-delete'
  | 'sub-create'
  | 'subscribe'
  | 'unsubscribe'
  | 'sub-delete'
  | 'state'
  | 'rollout'

const KINDS: Record<string, MetaEventKind> = {
  [SessionMeta.onJoin]: 'join',
  [SessionMeta.onLeave]: 'leave',
  [RegistrationMeta.onCreate]: 'reg-create',
  [RegistrationMeta.onRegister]: 'register',
  [RegistrationMeta.onUnregister]: 'unregister',
  [RegistrationMeta.onDelete]: 'reg-delete',
  [SubscriptionMeta.onCreate]: 'sub-create',
  [SubscriptionMeta.onSubscribe]: 'subscribe',
  [SubscriptionMeta.onUnsubscribe]: 'unsubscribe',
  [SubscriptionMeta.onDelete]: 'sub-delete',
  [ExtensionUri.onState]: 'state',
  [RolloutUri.onUpdate]: 'rollout',
}

/** Rollout updates `events` leaves out: live figures and drain progress come several times a second. */
const QUIET_ROLLOUT_EVENTS = new Set(['sample', 'drain-progress'])

/**
 * One meta event, as `wampctl events --json` prints it (one JSON object per line). Keys with no
 * value are left out; `authid`/`authrole` are the session's, looked up when the event lacks them.
 */
export interface MetaEvent {
  /** ISO 8601 time wampctl received the event. */
  at: string
  topic: string
  kind: MetaEventKind
  /**
   * The session the event is about. null when the router does not say: Crossbar's on_unregister
   * and on_delete after a session closed carry a null id; wampctl names the session when it can
   * tell which one it was (the one callee it saw register there, or the one of them that left).
   */
  session: number | null
  /** true when `session` was worked out by wampctl (the router sent null): see `session`. */
  session_inferred?: boolean
  authid?: string | null
  authrole?: string | null
  authmethod?: string | null
  registration?: number
  subscription?: number
  uri?: string | null
  match?: string
  invoke?: string
  /** state events: the callee's new state, weight and what caused the change. */
  state?: string
  weight?: number
  cause?: string
  /** rollout events: which rollout, what happened (started, step, paused, promoted, rollback, aborted, completed…), where it is now. */
  rollout?: string
  transition?: string
  status?: string
  step?: number | null
  percent?: number | null
  reason?: string | null
}

type Dict = Record<string, unknown>

/** How many sessions that left the tail remembers (their late events still get names). */
const MAX_LEFT = 256
/** Registrations learnt at start, at most (beyond, events name what they carry only). */
const MAX_LEARNED = 2000

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

/**
 * Tails the session, registration and subscription meta events and wampctl.callee.on_state,
 * delivering them in arrival order, enriched with URIs and authids (kept from earlier events,
 * else looked up). Events caused by wampctl's own session are left out.
 */
export class MetaEventTail {
  private readonly regUris = new Map<number, string>()
  private readonly subUris = new Map<number, string>()
  private readonly sessions = new Map<number, { authid: string | null; authrole: string | null }>()
  /** Callees seen registering per registration (on_register/on_create), to name the session of an on_unregister without one. */
  private readonly callees = new Map<number, Set<number>>()
  /** The session of the latest on_unregister per registration (the one its on_delete is about). */
  private readonly lastCallee = new Map<number, number>()
  /** Sessions seen leaving, newest last (bounded): their events may still arrive after the leave. */
  private readonly left: number[] = []
  private queue: Promise<void> = Promise.resolve()
  private readonly unsubscribers: Array<() => Promise<void>> = []
  private stopped = false

  constructor(
    private readonly meta: MetaClient,
    private readonly deliver: (event: MetaEvent) => void,
  ) {}

  /**
   * Subscribe to every topic (the extension topic only where the router serves it), then learn
   * the registrations there already and their callees, so the events of a callee that registered
   * before the tail started still get its URI and, where the router sends none, its session.
   */
  async start(): Promise<void> {
    const caps = await this.meta.capabilitiesOf()
    for (const topic of META_EVENT_TOPICS) {
      if (topic === ExtensionUri.onState && !caps.extensions) continue
      if (topic === RolloutUri.onUpdate && !caps.features.includes('rollout')) continue
      this.unsubscribers.push(
        await this.meta.client.subscribe(topic, (args) => {
          const at = new Date().toISOString()
          this.queue = this.queue.then(() => this.handle(topic, args, at)).catch(() => {})
        }),
      )
    }
    // In the queue: events that arrive meanwhile are handled with what it learns.
    this.queue = this.queue.then(() => this.learnRegistrations()).catch(() => {})
  }

  /** What is registered now (bounded: on a foreign router each registration costs calls). */
  private async learnRegistrations(): Promise<void> {
    const ids = await this.meta.registrationIds()
    if ((ids.exact?.length ?? 0) + (ids.prefix?.length ?? 0) + (ids.wildcard?.length ?? 0) > MAX_LEARNED) return
    for (const reg of (await this.meta.snapshot()).registrations) {
      if (!this.regUris.has(reg.id)) this.regUris.set(reg.id, reg.uri)
      for (const c of reg.callees) {
        this.calleesOf(reg.id).add(c.session)
        if (!this.sessions.has(c.session)) this.sessions.set(c.session, { authid: c.authid, authrole: c.authrole })
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await Promise.all(this.unsubscribers.splice(0).map((u) => u()))
  }

  private async handle(topic: string, args: unknown[], at: string): Promise<void> {
    if (this.stopped) return
    const event = await this.build(topic, args, at)
    if (event === undefined || this.stopped || event.session === this.meta.client.sessionId) return
    this.deliver(event)
  }

  private async build(topic: string, args: unknown[], at: string): Promise<MetaEvent | undefined> {
    const kind = KINDS[topic]
    if (kind === undefined) return undefined
    if (kind === 'join') {
      const d = (args[0] ?? {}) as Dict
      const session = num(d.session)
      if (session === undefined) return undefined
      this.sessions.set(session, { authid: str(d.authid), authrole: str(d.authrole) })
      return { at, topic, kind, session, authid: str(d.authid), authrole: str(d.authrole), authmethod: str(d.authmethod) }
    }
    if (kind === 'leave') {
      const session = num(args[0])
      if (session === undefined) return undefined
      // Crossbar's on_leave carries only the id: the authid and role come from its on_join (or a lookup before).
      const known = this.sessions.get(session)
      this.left.push(session)
      if (this.left.length > MAX_LEFT) this.sessions.delete(this.left.shift()!)
      return { at, topic, kind, session, authid: str(args[1]) ?? known?.authid ?? null, authrole: str(args[2]) ?? known?.authrole ?? null }
    }
    if (kind === 'rollout') {
      const u = (args[0] ?? {}) as Partial<RolloutUpdate>
      const r = u.rollout
      if (r === undefined || u.event === undefined || QUIET_ROLLOUT_EVENTS.has(u.event.event)) return undefined
      const e = u.event
      const reason = e.event === 'completed' ? e.reason : e.event === 'rollback' ? e.reason : e.event === 'paused' ? e.reason : null
      return {
        at,
        topic,
        kind,
        session: r.started_by.session,
        authid: r.started_by.authid,
        authrole: r.started_by.authrole,
        registration: r.registration,
        uri: r.uri,
        rollout: r.id,
        transition: e.event,
        status: r.status,
        step: r.step,
        percent: r.percent,
        reason,
      }
    }
    if (kind === 'state') {
      const e = (args[0] ?? {}) as Partial<CalleeStateEvent>
      const session = num(e.session)
      if (session === undefined) return undefined
      return {
        at,
        topic,
        kind,
        session,
        ...(await this.who(session)),
        registration: e.registration,
        uri: e.uri ?? null,
        state: e.state,
        weight: e.weight,
        cause: e.cause,
      }
    }
    const registrations = kind === 'reg-create' || kind === 'register' || kind === 'unregister' || kind === 'reg-delete'
    const given = num(args[0])
    if (given === undefined && args[0] !== null) return undefined
    if (given === undefined && kind !== 'unregister' && kind !== 'reg-delete' && kind !== 'unsubscribe' && kind !== 'sub-delete')
      return undefined
    const uris = registrations ? this.regUris : this.subUris
    if (kind === 'reg-create' || kind === 'sub-create') {
      const session = given!
      const d = (args[1] ?? {}) as Dict
      const id = num(d.id)
      if (id === undefined) return undefined
      if (registrations) this.calleesOf(id).add(session)
      const uri = str(d.uri)
      if (uri !== null) uris.set(id, uri)
      const event: MetaEvent = {
        at,
        topic,
        kind,
        session,
        ...(await this.who(session)),
        [registrations ? 'registration' : 'subscription']: id,
        uri,
        match: str(d.match) ?? 'exact',
      }
      if (registrations && typeof d.invoke === 'string') event.invoke = d.invoke
      return event
    }
    const id = num(args[1])
    if (id === undefined) return undefined
    const uri = uris.get(id) ?? (await this.lookupUri(registrations ? RegistrationMeta.get : SubscriptionMeta.get, id))
    if (uri !== null) uris.set(id, uri)
    // A registration is deleted when its last callee leaves it: that one, when the router does not say.
    const inferred =
      given !== undefined || !registrations ? undefined : kind === 'reg-delete' ? this.lastCallee.get(id) : this.closedCallee(id)
    const session = given ?? inferred ?? null
    if (kind === 'register' && session !== null) this.calleesOf(id).add(session)
    if (kind === 'unregister' && session !== null) {
      this.callees.get(id)?.delete(session)
      this.lastCallee.set(id, session)
    }
    if (kind === 'reg-delete' || kind === 'sub-delete') {
      uris.delete(id)
      this.callees.delete(id)
      this.lastCallee.delete(id)
    }
    const who = session === null ? { authid: null, authrole: null } : await this.who(session)
    const event: MetaEvent = { at, topic, kind, session, ...who, [registrations ? 'registration' : 'subscription']: id, uri }
    if (inferred !== undefined) event.session_inferred = true
    return event
  }

  private calleesOf(registration: number): Set<number> {
    let set = this.callees.get(registration)
    if (set === undefined) this.callees.set(registration, (set = new Set()))
    return set
  }

  /**
   * The session an on_unregister/on_delete with a null id is about: of the callees seen
   * registering there, the one that left, or the only one; undefined when it cannot be told.
   */
  private closedCallee(registration: number): number | undefined {
    const seen = [...(this.callees.get(registration) ?? [])]
    const gone = seen.filter((s) => this.left.includes(s))
    if (gone.length === 1) return gone[0]
    return seen.length === 1 ? seen[0] : undefined
  }

  /** A session's authid and authrole: from its on_join, else asked (null when it left meanwhile). */
  private async who(session: number): Promise<{ authid: string | null; authrole: string | null }> {
    const known = this.sessions.get(session)
    if (known !== undefined) return known
    try {
      const s = await this.meta.session(session)
      const who = { authid: s.authid, authrole: s.authrole }
      this.sessions.set(session, who)
      return who
    } catch {
      return { authid: null, authrole: null }
    }
  }

  private async lookupUri(procedure: string, id: number): Promise<string | null> {
    try {
      const r = await this.meta.client.call(procedure, [id])
      return str((r.args[0] as Dict | undefined)?.uri)
    } catch {
      return null
    }
  }
}
