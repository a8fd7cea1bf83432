import type { CanarySpec, ProbeResult, SideStats, Verdict, WindowStats } from '../../../protocol/rollout.js'
import type { Registration } from '../../registration.js'

/** One callee's statistics at one instant, as a check reads them. */
export interface CalleeReading {
  calls: number
  errors: number
  inflight: number
  p99_ms: number | null
}

/** What a window starts from: every callee's reading then, by session id. */
export type CalleeCounters = Pick<CalleeReading, 'calls' | 'errors'>

/** Every callee of `reg` now, by session id, from this router's dealer. */
export function readingsOf(reg: Registration | undefined): Map<number, CalleeReading> {
  const out = new Map<number, CalleeReading>()
  for (const c of reg?.callees ?? [])
    out.set(c.session.id, { calls: c.stats.calls, errors: c.stats.errors, inflight: c.inflight, p99_ms: c.stats.percentileMs(0.99) })
  return out
}

/**
 * What changed from `before` to `now` (readings of one registration), for the canary against
 * `rest` (the old callees). A callee missing from `before` counts from zero; one that left is left out.
 */
export function windowStats(
  now: ReadonlyMap<number, CalleeReading>,
  before: ReadonlyMap<number, CalleeCounters>,
  canary: number,
  rest: ReadonlySet<number>,
  elapsedMs: number,
): WindowStats {
  const side = (pick: (session: number) => boolean): SideStats => {
    let calls = 0
    let errors = 0
    let inflight = 0
    let p99: number | null = null
    for (const [session, r] of now) {
      if (!pick(session)) continue
      const b = before.get(session)
      calls += Math.max(0, r.calls - (b?.calls ?? 0))
      errors += Math.max(0, r.errors - (b?.errors ?? 0))
      inflight += r.inflight
      if (r.p99_ms !== null && (p99 === null || r.p99_ms > p99)) p99 = r.p99_ms
    }
    return { calls, errors, error_rate: calls === 0 ? null : errors / calls, p99_ms: p99, inflight }
  }
  const c = side((s) => s === canary)
  const r = side((s) => rest.has(s))
  const total = c.calls + r.calls
  return { canary: c, rest: r, share: total === 0 ? null : c.calls / total, elapsed_ms: Math.round(elapsedMs) }
}

/**
 * The verdict of one check: the probe (if any) and the traffic gates. Errors are evidence even in
 * a quiet window: any call served with the error rate above the limit is a breach; a failed probe
 * is a breach. Fewer than `min_calls` canary calls otherwise: inconclusive (no evidence either
 * way). Else the latency gate, else pass.
 */
export function judge(w: WindowStats, spec: CanarySpec, probe: ProbeResult | null): { verdict: Verdict; reason: string } {
  const c = w.canary
  const rest = w.rest.error_rate === null ? 'no calls' : pct(w.rest.error_rate)
  if (probe !== null && !probe.ok) {
    return { verdict: 'breach', reason: `probe ${probe.uri} on the canary (session ${probe.session}) failed: ${probe.error}` }
  }
  if (c.calls > 0 && c.error_rate !== null && c.error_rate > spec.max_error_rate) {
    return {
      verdict: 'breach',
      reason: `canary error rate ${pct(c.error_rate)} (${c.errors} of ${c.calls} calls) is above --max-error-rate ${pct(spec.max_error_rate)} (rest: ${rest})`,
    }
  }
  if (c.calls < spec.min_calls) {
    return {
      verdict: 'inconclusive',
      reason: `the canary served ${c.calls} call(s) in the window, fewer than --min-calls ${spec.min_calls}: too few to judge`,
    }
  }
  if (spec.max_p99_ms !== null && c.p99_ms !== null && c.p99_ms > spec.max_p99_ms) {
    return {
      verdict: 'breach',
      reason: `canary p99 ${c.p99_ms} ms is above --max-p99 ${spec.max_p99_ms} ms (rest: ${w.rest.p99_ms ?? '-'} ms)`,
    }
  }
  const probed = probe === null ? '' : `, probe ok in ${probe.elapsed_ms} ms`
  return {
    verdict: 'pass',
    reason: `canary error rate ${pct(c.error_rate ?? 0)} over ${c.calls} calls, p99 ${c.p99_ms ?? '-'} ms${probed} (rest: ${rest}, p99 ${w.rest.p99_ms ?? '-'} ms)`,
  }
}

/** 0.0125 → "1.25%". */
export function pct(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`
}
