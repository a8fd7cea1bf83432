import { viewTakesCalls, type CalleeView, type RegistrationView, type SnapshotView } from '../client/views.js'

export type MatchPolicy = 'exact' | 'prefix' | 'wildcard'

/**
 * One row of `wampctl registrations list` and its `--json` element. Statistics are null when
 * unknown (a router without the wampctl extensions, or no second snapshot to compare with).
 */
export interface RegistrationSummary {
  id: number
  uri: string
  match: string
  invoke: string
  created: string | null
  /** Number of callees. */
  callees: number
  calls: number | null
  errors: number | null
  inflight: number | null
  /** Calls per second between the previous snapshot and this one; null without a previous one. */
  calls_per_s: number | null
  /**
   * How evenly calls spread over the active callees: max/min calls, 1 = even. null when unknown,
   * with fewer than 2 active callees, before any call, or for a policy that does not spread calls
   * (single, first, last: standbys idle on purpose, as `top` shows it); Infinity when some active callee has had
   * no call while another has (the table shows '∞'; JSON, which has no Infinity, shows null).
   */
  spread: number | null
}

/** A registration as `registrations show` lists it: callees in registration order with their share of calls. */
export interface RegistrationDetail {
  id: number
  uri: string
  match: string
  invoke: string
  created: string | null
  callees: CalleeDetail[]
}

export interface CalleeDetail {
  session: number
  authid: string | null
  authrole: string | null
  /** active | cordoned | draining; null when unknown (a router without the extensions). */
  state: string | null
  weight: number | null
  calls: number | null
  /** This callee's calls / the registration's calls, 0..1 (0 before any call); null when unknown. */
  share: number | null
  inflight: number | null
  errors: number | null
  p50_ms: number | null
  p99_ms: number | null
}

export interface ListFilter {
  match?: MatchPolicy
  /** URI prefix. */
  filter?: string
}

function sum(callees: CalleeView[], key: 'calls' | 'errors' | 'inflight'): number | null {
  let total = 0
  for (const c of callees) {
    const v = c[key]
    if (v === null || v === undefined) return null
    total += v
  }
  return total
}

/** max/min calls over the active callees (see RegistrationSummary.spread). */
export function spreadOf(callees: CalleeView[]): number | null {
  const active = callees.filter((c) => c.state !== 'unknown' && viewTakesCalls(c))
  if (active.length < 2) return null
  const calls: number[] = []
  for (const c of active) {
    if (c.calls === null) return null
    calls.push(c.calls)
  }
  const max = Math.max(...calls)
  const min = Math.min(...calls)
  if (max === 0) return null
  if (min === 0) return Infinity
  return Math.round((max / min) * 100) / 100
}

/**
 * Calls per second of a registration between two snapshots: per callee (by session), the growth
 * of its call counter; a callee new since `prev` counts from zero; a counter that went down
 * (callee re-registered) counts as its new value.
 */
export function callsPerSecond(now: RegistrationView, prev: RegistrationView | undefined, elapsedMs: number): number | null {
  if (elapsedMs <= 0) return null
  const before = new Map<number, number | null>()
  for (const c of prev?.callees ?? []) before.set(c.session, c.calls)
  let delta = 0
  for (const c of now.callees) {
    if (c.calls === null) return null
    const b = before.get(c.session)
    if (b === null) return null
    delta += b === undefined || c.calls < b ? c.calls : c.calls - b
  }
  return Math.round((delta / (elapsedMs / 1000)) * 10) / 10
}

/** Milliseconds between two snapshots: the router's own timestamps when usable, else `fallbackMs`. */
export function elapsedBetween(prev: SnapshotView, now: SnapshotView, fallbackMs: number): number {
  const ms = Date.parse(now.at) - Date.parse(prev.at)
  return Number.isFinite(ms) && ms > 0 ? ms : fallbackMs
}

export function summarize(view: RegistrationView, prev?: RegistrationView, elapsedMs = 0): RegistrationSummary {
  return {
    id: view.id,
    uri: view.uri,
    match: view.match,
    invoke: view.invoke,
    created: view.created,
    callees: view.callees.length,
    calls: sum(view.callees, 'calls'),
    errors: sum(view.callees, 'errors'),
    inflight: sum(view.callees, 'inflight'),
    calls_per_s: prev === undefined && elapsedMs === 0 ? null : callsPerSecond(view, prev, elapsedMs),
    spread: view.invoke === 'roundrobin' || view.invoke === 'random' ? spreadOf(view.callees) : null,
  }
}

/**
 * The rows of `registrations list`, sorted by URI then match. With `prev` (an earlier snapshot),
 * calls/s is computed over the time between the two.
 */
export function summarizeSnapshot(
  now: SnapshotView,
  filter: ListFilter = {},
  prev?: { snapshot: SnapshotView; elapsedMs: number },
): RegistrationSummary[] {
  const before = new Map<number, RegistrationView>()
  for (const r of prev?.snapshot.registrations ?? []) before.set(r.id, r)
  const elapsed = prev === undefined ? 0 : elapsedBetween(prev.snapshot, now, prev.elapsedMs)
  return now.registrations
    .filter(
      (r) => (filter.match === undefined || r.match === filter.match) && (filter.filter === undefined || r.uri.startsWith(filter.filter)),
    )
    .map((r) => (prev === undefined ? summarize(r) : summarize(r, before.get(r.id), elapsed)))
    .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.match < b.match ? -1 : a.match > b.match ? 1 : a.id - b.id))
}

export function detailOf(view: RegistrationView): RegistrationDetail {
  const total = sum(view.callees, 'calls')
  return {
    id: view.id,
    uri: view.uri,
    match: view.match,
    invoke: view.invoke,
    created: view.created,
    callees: view.callees.map((c) => ({
      session: c.session,
      authid: c.authid,
      authrole: c.authrole,
      state: c.state === 'unknown' ? null : c.state,
      weight: c.weight,
      calls: c.calls,
      share: total === null || c.calls === null ? null : total === 0 ? 0 : Math.round((c.calls / total) * 10_000) / 10_000,
      inflight: c.inflight,
      errors: c.errors,
      p50_ms: c.p50_ms,
      p99_ms: c.p99_ms,
    })),
  }
}
