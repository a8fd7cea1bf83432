import { RECENT_WINDOW_TICKS } from '../protocol/extensions.js'

/**
 * One meaning per number. Calls/s, share and spread are computed here, from calls counted over
 * the recent window (RECENT_WINDOW_TICKS stats intervals: 10 s by default), for
 * `registrations list|show`, `top`, the dashboard and rollouts alike. Lifetime counters are
 * shown apart, as totals.
 */
export { RECENT_WINDOW_TICKS }

/** The window in words for headers and help: "10 s" (10 ticks of `intervalMs`). */
export function windowLabel(intervalMs: number | null): string {
  if (intervalMs === null) return `${RECENT_WINDOW_TICKS} stats intervals`
  const ms = intervalMs * RECENT_WINDOW_TICKS
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

/** A count over `windowMs` as a rate per second, one decimal; null when unknown or the window is empty. */
export function perSecond(count: number | null, windowMs: number | null): number | null {
  if (count === null || windowMs === null || windowMs <= 0) return null
  return Math.round((count / (windowMs / 1000)) * 10) / 10
}

/** Policies that spread calls over callees; for single, first and last idle standbys are normal. */
export function spreadsCalls(invoke: string): boolean {
  return invoke === 'roundrobin' || invoke === 'random'
}

/**
 * How unevenly calls spread: most / fewest calls in the window among the callees that take calls
 * (1 = even), two decimals. Infinity when one of them got none while another did (shown as ∞,
 * null in JSON). null: unknown, fewer than two callees take calls, no calls in the window, or a
 * policy that does not spread calls.
 */
export function spreadOf(invoke: string, callees: Array<{ takesCalls: boolean; recentCalls: number | null }>): number | null {
  if (!spreadsCalls(invoke)) return null
  const taking = callees.filter((c) => c.takesCalls)
  if (taking.length < 2) return null
  let max = 0
  let min = Infinity
  for (const c of taking) {
    if (c.recentCalls === null) return null
    if (c.recentCalls > max) max = c.recentCalls
    if (c.recentCalls < min) min = c.recentCalls
  }
  if (max === 0) return null
  if (min === 0) return Infinity
  return Math.round((max / min) * 100) / 100
}

/** Each callee's share (0..1, four decimals) of the registration's calls in the window; null when unknown or no calls. */
export function sharesOf(recentCalls: Array<number | null>): Array<number | null> {
  if (recentCalls.some((c) => c === null)) return recentCalls.map(() => null)
  const total = (recentCalls as number[]).reduce((a, b) => a + b, 0)
  return recentCalls.map((c) => (total === 0 ? null : Math.round(((c as number) / total) * 10_000) / 10_000))
}

/** Spread for JSON: a number, or null (unknown, or unbounded: JSON has no Infinity). */
export function spreadJson(spread: number | null): number | null {
  return spread !== null && Number.isFinite(spread) ? spread : null
}
