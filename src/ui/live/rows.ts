import { viewTakesCalls } from '../../client/views.js'
import type { LiveCallee, LiveModel, LiveRegistration } from './model.js'

/** One line of the registrations table (top, dashboard, plain lines, NDJSON). */
export interface RegistrationRow {
  id: number
  uri: string
  match: string
  invoke: string
  callees: number
  /** Callees taking new calls (state active, weight not 0). */
  active: number
  /** Sum of the callees' calls/s; null without statistics or before the first tick. */
  rate: number | null
  inflight: number | null
  /** Cumulative errors of the current callees. */
  errors: number | null
  /**
   * How unevenly calls spread: most / fewest calls over the recent window among active callees
   * (1 = perfectly even, Infinity = some active callee got none); null with fewer than two active
   * callees, no recent calls, or a policy that does not spread calls (single, first, last).
   */
  spread: number | null
}

/** One callee line of a registration's view. */
export interface CalleeRow {
  /** 1-based position in the registration's callee order. */
  position: number
  session: number
  authid: string | null
  state: LiveCallee['state']
  weight: number | null
  calls: number | null
  errors: number | null
  inflight: number | null
  p50_ms: number | null
  p99_ms: number | null
  rate: number | null
  /** Share of the registration's calls in [0, 1]: over the recent window, else cumulative; null when unknown or no calls. */
  share: number | null
  history: number[]
}

function sumOrNull(values: Array<number | null>): number | null {
  let s = 0
  for (const v of values) {
    if (v === null) return null
    s += v
  }
  return s
}

export function registrationRow(model: LiveModel, reg: LiveRegistration): RegistrationRow {
  const cs = reg.callees
  const active = cs.filter(viewTakesCalls)
  let spread: number | null = null
  // Spread means something only where the policy spreads calls; `first`/`last` keep standbys idle on purpose.
  if (active.length >= 2 && model.ticks > 0 && (reg.invoke === 'roundrobin' || reg.invoke === 'random')) {
    let max = 0
    let min = Infinity
    for (const c of active) {
      const recent = c.history.sumLast(model.window)
      if (recent > max) max = recent
      if (recent < min) min = recent
    }
    if (max > 0) spread = min === 0 ? Infinity : max / min
  }
  return {
    id: reg.id,
    uri: reg.uri,
    match: reg.match,
    invoke: reg.invoke,
    callees: cs.length,
    active: active.length,
    rate: model.ticks > 0 ? sumOrNull(cs.map((c) => c.rate ?? 0)) : null,
    inflight: model.stats ? sumOrNull(cs.map((c) => c.inflight)) : null,
    errors: model.stats ? sumOrNull(cs.map((c) => c.errors)) : null,
    spread,
  }
}

export function registrationRows(model: LiveModel): RegistrationRow[] {
  const out: RegistrationRow[] = []
  for (const reg of model.registrations.values()) out.push(registrationRow(model, reg))
  return out
}

/** The callees of one registration, in order, with shares and the last `historyLength` calls/s samples. */
export function calleeRows(model: LiveModel, registration: number, historyLength = 30): CalleeRow[] {
  const reg = model.registrations.get(registration)
  if (reg === undefined) return []
  const recent = reg.callees.map((c) => c.history.sumLast(model.window))
  const recentTotal = recent.reduce((a, b) => a + b, 0)
  const cumulative = reg.callees.map((c) => c.calls ?? 0)
  const cumulativeTotal = cumulative.reduce((a, b) => a + b, 0)
  return reg.callees.map((c, i) => ({
    position: i + 1,
    session: c.session,
    authid: c.authid,
    state: c.state,
    weight: c.weight,
    calls: c.calls,
    errors: c.errors,
    inflight: c.inflight,
    p50_ms: c.p50_ms,
    p99_ms: c.p99_ms,
    rate: c.rate,
    share: recentTotal > 0 ? recent[i]! / recentTotal : cumulativeTotal > 0 && c.calls !== null ? cumulative[i]! / cumulativeTotal : null,
    history: c.history.last(historyLength),
  }))
}

export const SORT_KEYS = ['calls/s', 'uri', 'callees', 'in flight', 'errors', 'spread'] as const
export type SortKey = (typeof SORT_KEYS)[number]

export function nextSortKey(k: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(k) + 1) % SORT_KEYS.length]!
}

const num = (v: number | null): number => (v === null ? -1 : v)

/** Sort (numbers descending, URI ascending; ties by URI) and filter (substring of the URI, case-insensitive). */
export function sortAndFilter(rows: RegistrationRow[], sort: SortKey, filter = ''): RegistrationRow[] {
  const f = filter.trim().toLowerCase()
  const kept = f.length === 0 ? rows.slice() : rows.filter((r) => r.uri.toLowerCase().includes(f))
  const value = (r: RegistrationRow): number => {
    switch (sort) {
      case 'calls/s':
        return num(r.rate)
      case 'callees':
        return r.callees
      case 'in flight':
        return num(r.inflight)
      case 'errors':
        return num(r.errors)
      case 'spread':
        return num(r.spread)
      default:
        return 0
    }
  }
  return kept.sort((a, b) => {
    if (sort !== 'uri') {
      const d = value(b) - value(a)
      if (d !== 0 && !Number.isNaN(d)) return d
    }
    return a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.id - b.id
  })
}
