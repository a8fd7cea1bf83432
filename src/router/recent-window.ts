import { RECENT_WINDOW_TICKS, type RecentCounts } from '../protocol/extensions.js'

/**
 * A callee's cumulative counters at the last RECENT_WINDOW_TICKS + 1 stats ticks (a small ring,
 * written once per interval by the ticker, never on the hot path), so the router can say how
 * many calls and errors a callee had in the recent window without anyone sampling twice.
 */
export class RecentWindow {
  private static readonly SIZE = RECENT_WINDOW_TICKS + 1
  private readonly calls = new Float64Array(RecentWindow.SIZE)
  private readonly errors = new Float64Array(RecentWindow.SIZE)
  private readonly at = new Float64Array(RecentWindow.SIZE)
  private next = 0
  private count = 0

  constructor(private readonly since: number) {}

  /** Record the counters at a tick (epoch ms `now`). */
  sample(calls: number, errors: number, now: number): void {
    this.calls[this.next] = calls
    this.errors[this.next] = errors
    this.at[this.next] = now
    this.next = (this.next + 1) % RecentWindow.SIZE
    if (this.count < RecentWindow.SIZE) this.count++
  }

  /**
   * Counts from the oldest kept tick to now. Until the ring is full the window starts when the
   * callee registered (with zero calls), so a new callee's rate is right from its first second.
   */
  read(calls: number, errors: number, now: number): RecentCounts {
    if (this.count < RecentWindow.SIZE) return { calls, errors, window_ms: Math.max(0, now - this.since) }
    const i = this.next // the oldest sample once the ring is full
    return { calls: calls - this.calls[i]!, errors: errors - this.errors[i]!, window_ms: Math.max(0, now - this.at[i]!) }
  }
}
