/**
 * A fixed-size ring of calls/s samples (one per stats tick), oldest first when read. Float32
 * storage: 10,000 callees × 120 samples cost under 5 MB.
 */
export class RateHistory {
  private readonly buf: Float32Array
  private start = 0
  private size = 0

  constructor(readonly capacity: number) {
    this.buf = new Float32Array(Math.max(1, capacity))
  }

  get length(): number {
    return this.size
  }

  push(value: number): void {
    const cap = this.buf.length
    if (this.size < cap) {
      this.buf[(this.start + this.size) % cap] = value
      this.size++
    } else {
      this.buf[this.start] = value
      this.start = (this.start + 1) % cap
    }
  }

  /** The last `n` samples (all when n is omitted), oldest first. */
  last(n = this.size): number[] {
    const k = Math.max(0, Math.min(n, this.size))
    const out = new Array<number>(k)
    const cap = this.buf.length
    for (let i = 0; i < k; i++) out[i] = this.buf[(this.start + this.size - k + i) % cap]!
    return out
  }

  /** Sum of the last `n` samples. */
  sumLast(n: number): number {
    const k = Math.max(0, Math.min(n, this.size))
    const cap = this.buf.length
    let s = 0
    for (let i = 0; i < k; i++) s += this.buf[(this.start + this.size - k + i) % cap]!
    return s
  }
}
