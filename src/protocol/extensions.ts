/**
 * The wampctl operations extensions: URIs and the exact shapes they carry.
 * Shared by the router (which serves them) and the client (which reads them); pure types and
 * constants, no code from either side.
 */

export const ExtensionUri = {
  snapshot: 'wampctl.registration.snapshot',
  describe: 'wampctl.registration.describe',
  setWeight: 'wampctl.registration.set_weight',
  cordon: 'wampctl.callee.cordon',
  uncordon: 'wampctl.callee.uncordon',
  drain: 'wampctl.callee.drain',
  onTick: 'wampctl.stats.on_tick',
  onState: 'wampctl.callee.on_state',
  /** Which extensions this router serves: `{version, features: string[]}`. */
  info: 'wampctl.router.info',
} as const

export type CalleeState = 'active' | 'cordoned' | 'draining'

/**
 * The recent window every rate, share and spread is computed over, in stats intervals: the
 * router keeps each callee's counters at the last ticks (10 s at the default 1 s interval), and
 * the live views keep as many ticks. Lifetime totals are named `*_total` wherever they are shown.
 */
export const RECENT_WINDOW_TICKS = 10

/** A callee's counts over the recent window, as the router reports them. */
export interface RecentCounts {
  /** Calls started in the window. */
  calls: number
  /** Calls that ended in an error in the window. */
  errors: number
  /** How long the window is, ms: about RECENT_WINDOW_TICKS × the stats interval, shorter for a callee that registered since. */
  window_ms: number
}

/** One callee of one registration, with its statistics since it registered. */
export interface CalleeStats {
  session: number
  /** The cluster node its session lives on (where these statistics are kept); absent on a single router. */
  node?: string
  authid: string | null
  authrole: string | null
  state: CalleeState
  /** Traffic weight for roundrobin/random/least_loaded; 1 by default, 0 = no new calls. */
  weight: number
  /** REGISTER option `concurrency`: most calls in flight at once; null = no cap. */
  concurrency: number | null
  calls: number
  errors: number
  inflight: number
  /**
   * Age in ms of this callee's oldest call in flight, null when none: a callee that answers pings
   * but not invocations shows here as an age that keeps growing. Absent from routers before it.
   */
  oldest_inflight_ms?: number | null
  /** Calls the router gave up on (caller's timeout or invocation deadline); also counted in errors. */
  timeouts?: number
  /** The callee's invocation deadline in ms (REGISTER `_deadline_ms` or the realm's), 0 = none. */
  deadline_ms?: number
  /** Latency percentiles of finished calls, in milliseconds; null before the first call. */
  p50_ms: number | null
  p99_ms: number | null
  /** ISO 8601 time of the last invocation, null if none yet. */
  last_call_at: string | null
  /** ISO 8601 time this callee registered. */
  registered_at: string
  /** Counts over the recent window (extensions version 2; absent from older routers). */
  recent?: RecentCounts
}

export interface RegistrationSnapshot {
  id: number
  uri: string
  match: 'exact' | 'prefix' | 'wildcard'
  /** The spec's five policies, or wampctl's `least_loaded` (docs/routing.md). */
  invoke: 'single' | 'roundrobin' | 'random' | 'first' | 'last' | 'least_loaded'
  created: string
  /** Calls waiting for a callee under its concurrency cap (docs/routing.md). */
  queued: number
  /** Callees in registration order. */
  callees: CalleeStats[]
}

/** Result of `wampctl.registration.snapshot()`: its single positional result. */
export interface RouterSnapshot {
  /** ISO 8601 time the snapshot was taken. */
  at: string
  realm: string
  registrations: RegistrationSnapshot[]
  /**
   * Cluster only: nodes that did not send their part in time. Their callees are listed as
   * UnknownCalleeStats (state and weight from the registry, statistics null). Absent on a single
   * router and when every node answered.
   */
  missing_nodes?: string[]
}

/**
 * A callee of a cluster node that did not answer in time (RouterSnapshot.missing_nodes): what the
 * registry knows, its statistics null. Listed among `callees` (typed CalleeStats there, so that
 * single-router readers keep their types; readers of a cluster's snapshots check for null).
 */
export type UnknownCalleeStats = Omit<
  CalleeStats,
  'calls' | 'errors' | 'inflight' | 'oldest_inflight_ms' | 'timeouts' | 'p50_ms' | 'p99_ms' | 'last_call_at' | 'recent'
> & {
  calls: null
  errors: null
  inflight: null
  p50_ms: null
  p99_ms: null
  last_call_at: null
  recent: null
}

/**
 * `wampctl.stats.on_tick` payload (single positional argument), published once per interval while anyone subscribes.
 * `callees` lists only callees whose counters moved since the previous tick, as compact tuples of
 * cumulative values: consumers compute rates from the difference between ticks.
 */
export interface StatsTick {
  seq: number
  at: string
  interval_ms: number
  /** [registration, session, calls, errors, inflight, p50_ms, p99_ms] */
  callees: Array<[number, number, number, number, number, number | null, number | null]>
  /** [registration, calls waiting in its queue] for registrations whose queue length changed since the previous tick. */
  queued?: Array<[number, number]>
}

/** `wampctl.callee.on_state` payload (single positional argument). */
export interface CalleeStateEvent {
  registration: number
  uri: string
  session: number
  state: CalleeState
  weight: number
  /** What caused it: 'cordon' | 'uncordon' | 'drain' | 'drained' | 'drain_timeout' | 'set_weight'. */
  cause: string
}

export interface DrainOptions {
  /** Give up waiting after this long (the callee stays cordoned, no call is dropped). Default 30000. */
  timeout_ms?: number
  /** What to do once the callee has no call in flight. Default 'none'. */
  then?: 'unregister' | 'kill' | 'none'
}

/** Progressive results of `wampctl.callee.drain` (single positional argument): one per change of in-flight count. */
export interface DrainProgress {
  session: number
  inflight: number
  registrations: number[]
}

/** Final result of `wampctl.callee.drain` (single positional result; the kwargs of its drain_timeout ERROR). */
export interface DrainResult {
  session: number
  registrations: number[]
  /** true when every call in flight finished before the timeout. */
  drained: boolean
  /** calls still in flight at the end (0 when drained). */
  inflight: number
  then: 'unregister' | 'kill' | 'none'
  /** what was done after draining: 'unregistered' | 'killed' | 'none' | 'skipped' (on timeout) */
  outcome: string
  elapsed_ms: number
}
