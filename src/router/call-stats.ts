/**
 * Per (registration, callee) call statistics, updated on the hot path with O(1) work per call:
 * counters and a fixed-bucket latency histogram (4 buckets per power of two of microseconds,
 * about 19% wide each). Percentiles are read from the histogram only when someone asks.
 */
export const BUCKETS_PER_OCTAVE = 4
export const BUCKET_COUNT = 128 // 2^(128/4) µs ≈ 71 minutes: anything longer lands in the last bucket

export class CallStats {
  calls = 0
  errors = 0
  /** Calls the router gave up on for lack of an answer in time (also counted in errors). */
  timeouts = 0
  /** Epoch ms of the last invocation, 0 if none. */
  lastCallAt = 0
  /** Finished calls recorded in the histogram, and the sum of their latencies in ms. */
  finished = 0
  totalMs = 0
  /** Bumped on every change: the stats ticker publishes only callees whose version moved. */
  version = 0
  private readonly histogram = new Uint32Array(BUCKET_COUNT)
  /** lastCallAt as ISO 8601, for the lastCallAt it was made from: an idle callee's is made once. */
  private lastCallIso: { at: number; text: string } | undefined

  started(nowMs: number): void {
    this.calls++
    this.lastCallAt = nowMs
    this.version++
  }

  /** A call finished after `elapsedMs`; `failed` when the callee answered with an ERROR. */
  finishedAfter(elapsedMs: number, failed: boolean): void {
    if (failed) this.errors++
    const us = elapsedMs * 1000
    let bucket = us < 1 ? 0 : Math.floor(Math.log2(us) * BUCKETS_PER_OCTAVE)
    if (bucket >= BUCKET_COUNT) bucket = BUCKET_COUNT - 1
    this.histogram[bucket]!++
    this.finished++
    this.totalMs += elapsedMs
    this.version++
  }

  /**
   * A call that ended without an answer from the callee (callee lost, call canceled, or timed out
   * when `timedOut`): counts as an error, no latency.
   */
  abandoned(timedOut = false): void {
    this.errors++
    if (timedOut) this.timeouts++
    this.version++
  }

  /**
   * Add this histogram's bucket counts into `into` (BUCKET_COUNT long): bucket i holds the calls
   * faster than 2^((i+1)/BUCKETS_PER_OCTAVE) µs and not faster than bucket i-1's bound.
   */
  addHistogramTo(into: Float64Array): void {
    for (let i = 0; i < BUCKET_COUNT; i++) into[i]! += this.histogram[i]!
  }

  /** The latency below which `q` (0..1) of finished calls fell, in ms (bucket upper bound), or null. */
  percentileMs(q: number): number | null {
    return this.percentilesMs(q, q)[0]
  }

  /** Two percentiles (`lo` ≤ `hi`, 0..1) in one walk of the histogram: what a snapshot shows (p50, p99). */
  percentilesMs(lo: number, hi: number): [number | null, number | null] {
    if (this.finished === 0) return [null, null]
    const loRank = Math.max(1, Math.ceil(lo * this.finished))
    const hiRank = Math.max(1, Math.ceil(hi * this.finished))
    let loMs: number | null = null
    let seen = 0
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.histogram[i]!
      if (loMs === null && seen >= loRank) loMs = bucketBoundMs(i)
      if (seen >= hiRank) return [loMs, bucketBoundMs(i)]
    }
    return [loMs, null]
  }

  /** lastCallAt as ISO 8601, null if no call yet. */
  lastCallAtIso(): string | null {
    if (this.lastCallAt === 0) return null
    if (this.lastCallIso?.at !== this.lastCallAt) this.lastCallIso = { at: this.lastCallAt, text: new Date(this.lastCallAt).toISOString() }
    return this.lastCallIso.text
  }
}

/** Upper bound of bucket `i`, ms. */
function bucketBoundMs(i: number): number {
  return Math.round(2 ** ((i + 1) / BUCKETS_PER_OCTAVE)) / 1000
}
