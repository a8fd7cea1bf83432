import { CallStats } from '../src/router/call-stats.js'

/**
 * The per-call work the dealer does for the statistics (dealer.ts invoke() and finish() with
 * callStats on), timed in isolation: two clock reads for the latency, one wall-clock read, the
 * counters and the histogram bucket. End-to-end A/B runs on a shared 2-core machine cannot resolve
 * a few percent; this gives the figure the A/B brackets. Best of `repeats` runs, ns per call.
 */
export function statsWorkNsPerCall(iterations = 1_000_000, repeats = 5): number {
  const stats = [new CallStats(), new CallStats(), new CallStats(), new CallStats()]
  const startedAt = new Float64Array(32)
  let best = Infinity
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) {
      const s = stats[i & 3]!
      const slot = i & 31
      // invoke(): as the dealer does when sending the INVOCATION…
      startedAt[slot] = performance.now()
      s.started(Date.now())
      // …and finish(): when the YIELD comes back.
      s.finishedAfter(performance.now() - startedAt[slot]!, false)
    }
    const ns = Number(process.hrtime.bigint() - t0) / iterations
    if (ns < best) best = ns
  }
  return best
}
