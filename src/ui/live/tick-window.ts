import { RECENT_WINDOW_TICKS } from '../../protocol/extensions.js'

/**
 * One callee's calls and errors in each of the last `size` stats ticks, with each tick's length:
 * the live views' side of the recent window the router keeps (the same number of ticks), so
 * top and the dashboard show the numbers `registrations list|show` do.
 */
export class TickWindow {
  private readonly calls: Float64Array
  private readonly errors: Float64Array
  private readonly ms: Float64Array
  private next = 0
  private count = 0

  constructor(readonly size = RECENT_WINDOW_TICKS) {
    this.calls = new Float64Array(Math.max(1, size))
    this.errors = new Float64Array(Math.max(1, size))
    this.ms = new Float64Array(Math.max(1, size))
  }

  push(calls: number, errors: number, ms: number): void {
    this.calls[this.next] = calls
    this.errors[this.next] = errors
    this.ms[this.next] = ms
    this.next = (this.next + 1) % this.calls.length
    if (this.count < this.calls.length) this.count++
  }

  /** Ticks seen (up to `size`). */
  get ticks(): number {
    return this.count
  }

  /** Calls, errors and milliseconds over the ticks kept. */
  totals(): { calls: number; errors: number; windowMs: number } {
    let calls = 0
    let errors = 0
    let ms = 0
    for (let i = 0; i < this.count; i++) {
      calls += this.calls[i]!
      errors += this.errors[i]!
      ms += this.ms[i]!
    }
    return { calls, errors, windowMs: ms }
  }
}
