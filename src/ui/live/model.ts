import type { CalleeStateEvent, StatsTick } from '../../protocol/extensions.js'
import type { CalleeView, SnapshotView } from '../../client/views.js'
import { RECENT_WINDOW_TICKS } from '../../protocol/extensions.js'
import { RateHistory } from './rate-history.js'
import { TickWindow } from './tick-window.js'

/** One callee of one registration, as the live views know it. */
export interface LiveCallee {
  registration: number
  session: number
  /** The cluster node its session lives on; absent on a single router. */
  node?: string
  authid: string | null
  state: CalleeView['state']
  weight: number | null
  /** Cumulative counters (null: the router has no statistics). */
  calls: number | null
  errors: number | null
  inflight: number | null
  p50_ms: number | null
  p99_ms: number | null
  /** calls/s over the last stats tick; null before the first tick or without statistics. */
  rate: number | null
  /** calls/s per tick, oldest first (sparklines, line charts). */
  history: RateHistory
  /** Calls and errors per tick over the recent window (calls/s, share, spread, errors). */
  window: TickWindow
  /** calls counted by the current tick, folded into `rate` once the tick is applied. */
  pending: number
  pendingErrors: number
}

export interface LiveRegistration {
  id: number
  uri: string
  match: string
  invoke: string
  created: string | null
  /** Calls waiting for a callee under its concurrency cap; null when the router does not say. */
  queued: number | null
  /** Callees in registration order (the order the router routes in). */
  callees: LiveCallee[]
}

export interface LiveModelOptions {
  /** Samples of calls/s kept per callee. Default 120. */
  historyLength?: number
  /** Ticks over which rates, shares and spread are computed. Default RECENT_WINDOW_TICKS (the router's window). */
  window?: number
}

/** What a tick or an event told the model it does not know yet (a re-snapshot is due). */
export interface ApplyResult {
  unknown: boolean
}

const key = (registration: number, session: number): string => `${registration}:${session}`

/**
 * The in-memory state behind `top` and `dashboard`: registrations and callees from a snapshot,
 * counters moved forward by `wampctl.stats.on_tick`, states by `wampctl.callee.on_state`, and
 * the structure patched by meta events until the next snapshot confirms it. Every change bumps
 * `version`; readers derive rows (rows.ts) from it.
 */
export class LiveModel {
  readonly historyLength: number
  readonly window: number
  readonly registrations = new Map<number, LiveRegistration>()
  private readonly callees = new Map<string, LiveCallee>()
  /** Incremented on every change. */
  version = 0
  /** Whether counters are known (false against a router without the extensions). */
  stats = false
  ticks = 0
  lastTickAt: number | undefined
  snapshotAt: string | undefined

  constructor(options: LiveModelOptions = {}) {
    this.historyLength = options.historyLength ?? 120
    this.window = options.window ?? RECENT_WINDOW_TICKS
  }

  get calleeCount(): number {
    return this.callees.size
  }

  callee(registration: number, session: number): LiveCallee | undefined {
    return this.callees.get(key(registration, session))
  }

  /**
   * Merge a full snapshot: registrations and callees it lacks go, new ones come in, known callees
   * keep their history and their counter baseline (so calls made between the last tick and the
   * snapshot still count in the next tick's rate).
   */
  applySnapshot(snap: SnapshotView): void {
    this.stats = snap.extensions
    this.snapshotAt = snap.at
    const seen = new Set<string>()
    const regIds = new Set<number>()
    for (const r of snap.registrations) {
      regIds.add(r.id)
      let reg = this.registrations.get(r.id)
      if (reg === undefined) {
        reg = { id: r.id, uri: r.uri, match: r.match, invoke: r.invoke, created: r.created, queued: r.queued ?? null, callees: [] }
        this.registrations.set(r.id, reg)
      } else {
        reg.queued = r.queued ?? null
        reg.uri = r.uri
        reg.match = r.match
        reg.invoke = r.invoke
        reg.created = r.created
      }
      const callees: LiveCallee[] = []
      for (const c of r.callees) {
        const k = key(r.id, c.session)
        seen.add(k)
        let lc = this.callees.get(k)
        if (lc === undefined) {
          lc = {
            registration: r.id,
            session: c.session,
            ...(c.node !== undefined ? { node: c.node } : {}),
            authid: c.authid,
            state: c.state,
            weight: c.weight,
            calls: c.calls,
            errors: c.errors,
            inflight: c.inflight,
            p50_ms: c.p50_ms,
            p99_ms: c.p99_ms,
            rate: null,
            history: new RateHistory(this.historyLength),
            window: new TickWindow(this.window),
            pending: 0,
            pendingErrors: 0,
          }
          this.callees.set(k, lc)
        } else {
          lc.authid = c.authid
          lc.state = c.state
          lc.weight = c.weight
          lc.inflight = c.inflight
          lc.p50_ms = c.p50_ms
          lc.p99_ms = c.p99_ms
          if (lc.calls === null) lc.calls = c.calls
          if (lc.errors === null) lc.errors = c.errors
        }
        callees.push(lc)
      }
      reg.callees = callees
    }
    for (const id of [...this.registrations.keys()]) if (!regIds.has(id)) this.registrations.delete(id)
    for (const k of [...this.callees.keys()]) if (!seen.has(k)) this.callees.delete(k)
    this.version++
  }

  /**
   * One `wampctl.stats.on_tick`: counters of the callees that moved, then one calls/s sample for
   * every known callee (0 for those the tick left out: they did not move).
   */
  applyTick(tick: StatsTick): ApplyResult {
    let unknown = false
    const at = Date.parse(tick.at)
    let dt = tick.interval_ms / 1000
    if (this.lastTickAt !== undefined && Number.isFinite(at) && at > this.lastTickAt) dt = (at - this.lastTickAt) / 1000
    if (Number.isFinite(at)) this.lastTickAt = at
    for (const [registration, session, calls, errors, inflight, p50, p99] of tick.callees) {
      const c = this.callees.get(key(registration, session))
      if (c === undefined) {
        unknown = true
        continue
      }
      c.pending += Math.max(0, calls - (c.calls ?? calls))
      c.pendingErrors += Math.max(0, errors - (c.errors ?? errors))
      c.calls = calls
      c.errors = errors
      c.inflight = inflight
      c.p50_ms = p50
      c.p99_ms = p99
    }
    for (const [registration, queued] of tick.queued ?? []) {
      const reg = this.registrations.get(registration)
      if (reg !== undefined) reg.queued = queued
    }
    const seconds = Math.max(0.001, dt)
    for (const c of this.callees.values()) {
      const rate = c.pending / seconds
      c.rate = rate
      c.history.push(rate)
      c.window.push(c.pending, c.pendingErrors, seconds * 1000)
      c.pending = 0
      c.pendingErrors = 0
    }
    this.stats = true
    this.ticks++
    this.version++
    return { unknown }
  }

  /**
   * After a reconnect: the counters the router reports next may have restarted (a restarted
   * router) or jumped (calls made while disconnected). Take them afresh from the next snapshot
   * and compute no rate across the gap.
   */
  resync(): void {
    this.lastTickAt = undefined
    for (const c of this.callees.values()) {
      c.calls = null
      c.errors = null
      c.pending = 0
      c.pendingErrors = 0
    }
    this.version++
  }

  /** `wampctl.callee.on_state`: a callee was cordoned, drained, uncordoned or re-weighted. */
  applyState(ev: CalleeStateEvent): ApplyResult {
    const c = this.callees.get(key(ev.registration, ev.session))
    if (c === undefined) return { unknown: true }
    c.state = ev.state
    c.weight = ev.weight
    this.version++
    return { unknown: false }
  }

  /** `wamp.registration.on_create`: the registration shows at once, its callees come with the next snapshot. */
  addRegistration(details: { id: number; uri: string; match?: string; invoke?: string; created?: string }): void {
    if (this.registrations.has(details.id)) return
    this.registrations.set(details.id, {
      id: details.id,
      uri: details.uri,
      match: details.match ?? 'exact',
      invoke: details.invoke ?? 'single',
      created: details.created ?? null,
      queued: null,
      callees: [],
    })
    this.version++
  }

  /** `wamp.registration.on_unregister` (or a callee evicted): it leaves the list at once. */
  removeCallee(registration: number, session: number): void {
    const k = key(registration, session)
    const c = this.callees.get(k)
    if (c === undefined) return
    this.callees.delete(k)
    const reg = this.registrations.get(registration)
    if (reg !== undefined) reg.callees = reg.callees.filter((x) => x !== c)
    this.version++
  }

  /** `wamp.registration.on_delete`. */
  removeRegistration(id: number): void {
    const reg = this.registrations.get(id)
    if (reg === undefined) return
    for (const c of reg.callees) this.callees.delete(key(id, c.session))
    this.registrations.delete(id)
    this.version++
  }

  /** `wamp.session.on_leave`: every callee of that session goes. */
  removeSession(session: number): void {
    let changed = false
    for (const reg of this.registrations.values()) {
      const before = reg.callees.length
      reg.callees = reg.callees.filter((c) => c.session !== session)
      if (reg.callees.length !== before) {
        this.callees.delete(key(reg.id, session))
        changed = true
      }
    }
    if (changed) this.version++
  }
}
