import { viewTakesCalls } from '../../client/views.js'
import { perSecond, sharesOf, spreadOf } from '../../ops/recent-rates.js'
import type { LiveCallee, LiveModel, LiveRegistration } from './model.js'

/** One line of the registrations table (top, dashboard, plain lines, NDJSON). */
export interface RegistrationRow {
  id: number
  uri: string
  match: string
  invoke: string
  callees: number
  /** Callees taking new calls (takesCalls: active, weight above 0). */
  active: number
  /** calls/s over the recent window (recent-rates.ts); null without statistics or before the first tick. */
  rate: number | null
  inflight: number | null
  /** Calls waiting for a callee under its concurrency cap; null or absent when unknown. */
  queued?: number | null
  /** Errors in the recent window. */
  errors: number | null
  /** Most / fewest calls in the recent window among the callees that take calls (recent-rates.ts spreadOf). */
  spread: number | null
  /** Lifetime counters of the current callees. */
  calls_total: number | null
  errors_total: number | null
}

/** One callee line of a registration's view. */
export interface CalleeRow {
  /** 1-based position in the registration's callee order. */
  position: number
  session: number
  /** The cluster node its session lives on; absent on a single router. */
  node?: string
  authid: string | null
  state: LiveCallee['state']
  weight: number | null
  /** Lifetime counters. */
  calls: number | null
  errors_total: number | null
  /** Errors in the recent window. */
  errors: number | null
  inflight: number | null
  p50_ms: number | null
  p99_ms: number | null
  /** calls/s over the recent window. */
  rate: number | null
  /** Share of the registration's calls in the recent window, in [0, 1]; null when unknown or no calls. */
  share: number | null
  /** calls/s per tick, oldest first (sparklines, charts). */
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

/** A callee's recent window: null before the first tick or without statistics. */
function recentOf(model: LiveModel, c: LiveCallee): { calls: number; errors: number; windowMs: number } | null {
  if (model.ticks === 0 || !model.stats || c.window.ticks === 0) return null
  return c.window.totals()
}

export function registrationRow(model: LiveModel, reg: LiveRegistration): RegistrationRow {
  const cs = reg.callees
  const recent = cs.map((c) => recentOf(model, c))
  const known = model.ticks > 0 && model.stats
  const windowMs = recent.reduce((m, r) => Math.max(m, r?.windowMs ?? 0), 0)
  const calls = known ? recent.map((r) => r?.calls ?? 0) : cs.map(() => null)
  return {
    id: reg.id,
    uri: reg.uri,
    match: reg.match,
    invoke: reg.invoke,
    callees: cs.length,
    active: cs.filter(viewTakesCalls).length,
    rate: known ? (windowMs > 0 ? perSecond(sumOrNull(calls), windowMs) : 0) : null,
    inflight: model.stats ? sumOrNull(cs.map((c) => c.inflight)) : null,
    queued: reg.queued,
    errors: known ? recent.reduce((n, r) => n + (r?.errors ?? 0), 0) : null,
    spread: spreadOf(
      reg.invoke,
      cs.map((c, i) => ({ takesCalls: c.state !== 'unknown' && viewTakesCalls(c), recentCalls: calls[i]! })),
    ),
    calls_total: model.stats ? sumOrNull(cs.map((c) => c.calls)) : null,
    errors_total: model.stats ? sumOrNull(cs.map((c) => c.errors)) : null,
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
  const recent = reg.callees.map((c) => recentOf(model, c))
  const known = model.ticks > 0 && model.stats
  const shares = sharesOf(known ? recent.map((r) => r?.calls ?? 0) : recent.map(() => null))
  return reg.callees.map((c, i) => {
    const r = recent[i]!
    return {
      position: i + 1,
      session: c.session,
      ...(c.node !== undefined ? { node: c.node } : {}),
      authid: c.authid,
      state: c.state,
      weight: c.weight,
      calls: c.calls,
      errors_total: c.errors,
      errors: known ? (r?.errors ?? 0) : null,
      inflight: c.inflight,
      p50_ms: c.p50_ms,
      p99_ms: c.p99_ms,
      rate: known ? (r === null ? 0 : perSecond(r.calls, r.windowMs)) : null,
      share: shares[i]!,
      history: c.history.last(historyLength),
    }
  })
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
