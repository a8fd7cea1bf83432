import { viewTakesCalls, type RegistrationView, type SnapshotView } from '../client/views.js'
import { perSecond, sharesOf, spreadOf, spreadsCalls } from './recent-rates.js'

export type MatchPolicy = 'exact' | 'prefix' | 'wildcard'

/**
 * One row of `wampctl registrations list` and its `--json` element. Rates, errors and spread are
 * over the recent window (recent-rates.ts); lifetime counters are the `*_total` fields. Statistics
 * are null when unknown (a router without the wampctl extensions).
 */
export interface RegistrationSummary {
  id: number
  uri: string
  match: string
  invoke: string
  created: string | null
  /** Number of callees. */
  callees: number
  /** Callees that take new calls (takesCalls: active, weight above 0). */
  taking_calls: number | null
  /** Calls per second over the recent window. */
  calls_per_s: number | null
  inflight: number | null
  /** Calls waiting for a callee under its concurrency cap (docs/routing.md); null when unknown. */
  queued: number | null
  /** Errors in the recent window. */
  errors: number | null
  /**
   * Most / fewest calls in the recent window among the callees that take calls (1 = even); null
   * when unknown, with fewer than 2 such callees, no calls, or a policy that does not spread calls
   * (single, first, last); Infinity when one of them got none (the table shows '∞'; JSON null).
   */
  spread: number | null
  /** The recent window these figures cover, ms (null: unknown). */
  window_ms: number | null
  /** Lifetime counters of the current callees. */
  calls_total: number | null
  errors_total: number | null
}

/** A registration as `registrations show` lists it: callees in registration order with their share of the recent calls. */
export interface RegistrationDetail {
  id: number
  uri: string
  match: string
  invoke: string
  created: string | null
  calls_per_s: number | null
  spread: number | null
  window_ms: number | null
  /** Calls waiting for a callee under its concurrency cap; null when unknown. */
  queued: number | null
  callees: CalleeDetail[]
}

export interface CalleeDetail {
  session: number
  /** The cluster node its session lives on; absent on a single router. */
  node?: string
  authid: string | null
  authrole: string | null
  /** active | cordoned | draining; null when unknown (a router without the extensions). */
  state: string | null
  weight: number | null
  /** Calls per second over the recent window. */
  calls_per_s: number | null
  /** This callee's part of the registration's calls in the recent window, 0..1; null when unknown or none. */
  share: number | null
  inflight: number | null
  /** Errors in the recent window. */
  errors: number | null
  p50_ms: number | null
  p99_ms: number | null
  calls_total: number | null
  errors_total: number | null
}

export interface ListFilter {
  match?: MatchPolicy
  /** URI prefix. */
  filter?: string
}

/** Per callee (in order): calls and errors in the window, and the window's length. */
interface Recent {
  calls: Array<number | null>
  errors: Array<number | null>
  /** Per callee (a callee that registered since has a shorter one). */
  windows: Array<number | null>
  /** The registration's: the longest of its callees'. */
  windowMs: number | null
}

/** Every callee of `view` carries the router's recent counts (extensions version 2). */
export function hasRecent(view: RegistrationView): boolean {
  return view.callees.every((c) => c.recent !== undefined && c.recent !== null)
}

/**
 * The recent counts of a registration: the router's own (one snapshot), else (an older router)
 * the growth of each callee's counters since `prev` taken `elapsedMs` earlier: a callee new since
 * then counts from zero; a counter that went down (it re-registered) counts as its new value.
 */
function recentOf(view: RegistrationView, prev?: RegistrationView, elapsedMs = 0): Recent {
  if (view.callees.length > 0 && hasRecent(view)) {
    const windows = view.callees.map((c) => c.recent!.window_ms)
    return {
      calls: view.callees.map((c) => c.recent!.calls),
      errors: view.callees.map((c) => c.recent!.errors),
      windows,
      windowMs: Math.max(...windows),
    }
  }
  if (prev === undefined || elapsedMs <= 0) {
    const none = view.callees.map(() => null)
    return { calls: none, errors: none, windows: none, windowMs: null }
  }
  const before = new Map(prev.callees.map((c) => [c.session, c]))
  const growth = (now: number | null, then: number | null | undefined): number | null => {
    if (now === null || then === null) return null
    return then === undefined || now < then ? now : now - then
  }
  return {
    calls: view.callees.map((c) => growth(c.calls, before.get(c.session)?.calls)),
    errors: view.callees.map((c) => growth(c.errors, before.get(c.session)?.errors)),
    windows: view.callees.map(() => elapsedMs),
    windowMs: elapsedMs,
  }
}

function sum(values: Array<number | null>): number | null {
  let total = 0
  for (const v of values) {
    if (v === null) return null
    total += v
  }
  return total
}

/** The fields of a summary that are the registration's own, not figures (both summarize paths start with them). */
function summaryHeader(view: RegistrationView): Pick<RegistrationSummary, 'id' | 'uri' | 'match' | 'invoke' | 'created' | 'callees'> {
  return { id: view.id, uri: view.uri, match: view.match, invoke: view.invoke, created: view.created, callees: view.callees.length }
}

export function summarize(view: RegistrationView, prev?: RegistrationView, elapsedMs = 0): RegistrationSummary {
  if (prev === undefined && view.callees.length > 0 && hasRecent(view)) return summarizeRecent(view)
  const recent = recentOf(view, prev, elapsedMs)
  const stats = view.callees.every((c) => c.state !== 'unknown')
  return {
    ...summaryHeader(view),
    taking_calls: stats ? view.callees.filter(viewTakesCalls).length : null,
    calls_per_s: view.callees.length === 0 && recent.windowMs === null ? null : perSecond(sum(recent.calls), recent.windowMs),
    inflight: sum(view.callees.map((c) => c.inflight)),
    queued: view.queued ?? null,
    errors: sum(recent.errors),
    spread: spreadOf(
      view.invoke,
      view.callees.map((c, i) => ({ takesCalls: c.state !== 'unknown' && viewTakesCalls(c), recentCalls: recent.calls[i]! })),
    ),
    window_ms: recent.windowMs,
    calls_total: sum(view.callees.map((c) => c.calls)),
    errors_total: sum(view.callees.map((c) => c.errors)),
  }
}

/** A sum that is unknown (null) when one of its terms is. */
function plus(total: number | null, v: number | null): number | null {
  return total === null || v === null ? null : total + v
}

/**
 * summarize() of a registration whose callees carry the router's recent counts (the common case,
 * one snapshot): the same figures in one pass over the callees, without the arrays the general
 * path builds. `registrations list` of 10,000 registrations summarises each once in a fresh
 * process, where every allocation and closure costs (test/ops/registration-summary.test.ts holds
 * both paths to the same answers).
 */
function summarizeRecent(view: RegistrationView): RegistrationSummary {
  let known = true
  let taking = 0
  let calls: number | null = 0
  let errors: number | null = 0
  let windowMs = -Infinity
  let inflight: number | null = 0
  let callsTotal: number | null = 0
  let errorsTotal: number | null = 0
  // spread: among the callees that take calls, most and fewest recent calls
  let spreaders = 0
  let spreadUnknown = false
  let most = 0
  let fewest = Infinity
  for (const c of view.callees) {
    const r = c.recent!
    if (c.state === 'unknown') known = false
    const takes = viewTakesCalls(c)
    if (takes) taking++
    calls = plus(calls, r.calls)
    errors = plus(errors, r.errors)
    windowMs = Math.max(windowMs, r.window_ms)
    inflight = plus(inflight, c.inflight)
    callsTotal = plus(callsTotal, c.calls)
    errorsTotal = plus(errorsTotal, c.errors)
    if (takes && c.state !== 'unknown') {
      spreaders++
      if (r.calls === null) spreadUnknown = true
      else {
        if (r.calls > most) most = r.calls
        if (r.calls < fewest) fewest = r.calls
      }
    }
  }
  let spread: number | null = null
  if (spreadsCalls(view.invoke) && spreaders >= 2 && !spreadUnknown && most > 0)
    spread = fewest === 0 ? Infinity : Math.round((most / fewest) * 100) / 100
  return {
    ...summaryHeader(view),
    taking_calls: known ? taking : null,
    calls_per_s: perSecond(calls, windowMs),
    inflight,
    queued: view.queued ?? null,
    errors,
    spread,
    window_ms: windowMs,
    calls_total: callsTotal,
    errors_total: errorsTotal,
  }
}

/** Milliseconds between two snapshots: the router's own timestamps when usable, else `fallbackMs`. */
export function elapsedBetween(prev: SnapshotView, now: SnapshotView, fallbackMs: number): number {
  const ms = Date.parse(now.at) - Date.parse(prev.at)
  return Number.isFinite(ms) && ms > 0 ? ms : fallbackMs
}

/**
 * The rows of `registrations list`, sorted by URI then match. `prev` (an earlier snapshot) is
 * used only where the router does not keep recent counts itself.
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
    .map((r) => (prev === undefined ? summarize(r) : summarize(r, before.get(r.id) ?? { ...r, callees: [] }, elapsed)))
    .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.match < b.match ? -1 : a.match > b.match ? 1 : a.id - b.id))
}

export function detailOf(view: RegistrationView): RegistrationDetail {
  const recent = recentOf(view)
  const shares = sharesOf(recent.calls)
  const summary = summarize(view)
  return {
    id: view.id,
    uri: view.uri,
    match: view.match,
    invoke: view.invoke,
    created: view.created,
    calls_per_s: summary.calls_per_s,
    spread: summary.spread,
    window_ms: recent.windowMs,
    queued: view.queued ?? null,
    callees: view.callees.map((c, i) => ({
      session: c.session,
      ...(c.node !== undefined ? { node: c.node } : {}),
      authid: c.authid,
      authrole: c.authrole,
      state: c.state === 'unknown' ? null : c.state,
      weight: c.weight,
      calls_per_s: perSecond(recent.calls[i]!, recent.windows[i]!),
      share: shares[i]!,
      inflight: c.inflight,
      errors: recent.errors[i]!,
      p50_ms: c.p50_ms,
      p99_ms: c.p99_ms,
      calls_total: c.calls,
      errors_total: c.errors,
    })),
  }
}
