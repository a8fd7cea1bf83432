/**
 * Per-call latencies of the measured window, in ms. A preallocated buffer (no allocation per
 * call); past its capacity it keeps every k-th sample so memory stays bounded on a fast router.
 */
export class LatencyRecorder {
  private samples: Float64Array
  private n = 0
  private seen = 0
  private stride = 1

  constructor(capacity = 2_000_000) {
    this.samples = new Float64Array(capacity)
  }

  record(ms: number): void {
    if (this.seen++ % this.stride !== 0) return
    if (this.n === this.samples.length) this.thin()
    this.samples[this.n++] = ms
  }

  reset(): void {
    this.n = 0
    this.seen = 0
    this.stride = 1
  }

  /** The q-quantile (0..1) of recorded samples, or NaN when there are none. */
  quantiles(qs: readonly number[]): number[] {
    const sorted = this.samples.slice(0, this.n).sort()
    return qs.map((q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!))
  }

  get count(): number {
    return this.n
  }

  /** Keep every other sample and halve the sampling rate from now on. */
  private thin(): void {
    const half = this.n >> 1
    for (let i = 0; i < half; i++) this.samples[i] = this.samples[2 * i]!
    this.n = half
    this.stride *= 2
  }
}
