import type { CalleeView, RegistrationView } from '../../client/views.js'

/** One side (the canary, or the rest) over one observation window. */
export interface SideStats {
  /** Calls started in the window. */
  calls: number
  /** Calls that failed in the window (the callee answered ERROR, or was lost). */
  errors: number
  /** errors / calls; null with no call in the window. */
  error_rate: number | null
  /**
   * The router's p99 latency in ms (its histogram is cumulative since the callee registered, not
   * per window); for the rest, the worst of the old callees. null before any finished call.
   */
  p99_ms: number | null
  inflight: number
}

export interface WindowStats {
  canary: SideStats
  rest: SideStats
  /** The canary's share of the calls in the window (0..1); null with no call at all. */
  share: number | null
  elapsed_ms: number
}

export interface Gates {
  /** Roll back when the canary's error rate over a window exceeds this (0..1). */
  maxErrorRate: number
  /** Roll back when the canary's p99 exceeds this many ms (null: no latency gate). */
  maxP99Ms: number | null
  /** A window in which the canary served fewer calls proves nothing (idle). */
  minCalls: number
}

export type Verdict = 'pass' | 'idle' | 'breach'

export interface GateResult {
  verdict: Verdict
  reason: string
}

/**
 * What changed between two describes of one registration, for the canary against `rest` (the old
 * callees). A callee missing from `before` counts from zero; one missing from `after` is left out.
 */
export function windowStats(
  before: RegistrationView,
  after: RegistrationView,
  canary: number,
  rest: ReadonlySet<number>,
  elapsedMs: number,
): WindowStats {
  const base = new Map(before.callees.map((c) => [c.session, c]))
  const side = (callees: CalleeView[]): SideStats => {
    let calls = 0
    let errors = 0
    let inflight = 0
    let p99: number | null = null
    for (const c of callees) {
      const b = base.get(c.session)
      calls += Math.max(0, (c.calls ?? 0) - (b?.calls ?? 0))
      errors += Math.max(0, (c.errors ?? 0) - (b?.errors ?? 0))
      inflight += c.inflight ?? 0
      if (c.p99_ms !== null && (p99 === null || c.p99_ms > p99)) p99 = c.p99_ms
    }
    return { calls, errors, error_rate: calls === 0 ? null : errors / calls, p99_ms: p99, inflight }
  }
  const c = side(after.callees.filter((x) => x.session === canary))
  const r = side(after.callees.filter((x) => rest.has(x.session)))
  const total = c.calls + r.calls
  return { canary: c, rest: r, share: total === 0 ? null : c.calls / total, elapsed_ms: Math.round(elapsedMs) }
}

/**
 * The health gates over one window. Errors are evidence even in a quiet window: any call served
 * with the error rate above the limit is a breach. Fewer than `minCalls` calls otherwise: idle
 * (no evidence either way). Else the latency gate, else pass.
 */
export function evaluateGates(w: WindowStats, gates: Gates): GateResult {
  const c = w.canary
  const rest = w.rest.error_rate === null ? 'no calls' : pct(w.rest.error_rate)
  if (c.calls > 0 && c.error_rate !== null && c.error_rate > gates.maxErrorRate) {
    return {
      verdict: 'breach',
      reason: `canary error rate ${pct(c.error_rate)} (${c.errors} of ${c.calls} calls) is above --max-error-rate ${pct(gates.maxErrorRate)} (rest: ${rest})`,
    }
  }
  if (c.calls < gates.minCalls) {
    return {
      verdict: 'idle',
      reason: `the canary served ${c.calls} call(s) in the window, fewer than --min-calls ${gates.minCalls}: no evidence of health`,
    }
  }
  if (gates.maxP99Ms !== null && c.p99_ms !== null && c.p99_ms > gates.maxP99Ms) {
    return {
      verdict: 'breach',
      reason: `canary p99 ${c.p99_ms} ms is above --max-p99 ${gates.maxP99Ms} ms (rest: ${w.rest.p99_ms ?? '-'} ms)`,
    }
  }
  return {
    verdict: 'pass',
    reason: `canary error rate ${pct(c.error_rate ?? 0)} over ${c.calls} calls, p99 ${c.p99_ms ?? '-'} ms (rest: ${rest}, p99 ${w.rest.p99_ms ?? '-'} ms)`,
  }
}

/** 0.0125 → "1.25%". */
export function pct(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`
}
