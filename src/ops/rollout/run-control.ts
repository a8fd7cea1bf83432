import type { RolloutStore } from './state-file.js'

/** Why a rollout stopped before its end. */
export class StopReason {
  constructor(
    /** interrupt: Ctrl-C / SIGTERM (the runner rolls back); aborted: `rollout abort` from another shell (the abort restores). */
    readonly kind: 'interrupt' | 'aborted',
    readonly message: string,
  ) {}
}

const WATCH_MS = 200

/**
 * The stop switch of one rollout run. Everything the run waits on takes `signal`; every change it
 * makes to the router goes through `act`, which refuses once `rollout abort` asked it to stop and
 * lets the abort know (the `.stopped` marker) only after the change in progress finished, so the
 * abort's restore is never overwritten.
 */
export class RunControl {
  private readonly controller = new AbortController()
  private busy: Promise<unknown> | undefined
  private abortedByOther = false
  private readonly timer: NodeJS.Timeout
  private readonly offInterrupt: () => void

  constructor(
    private readonly store: RolloutStore,
    interrupt?: AbortSignal,
  ) {
    this.timer = setInterval(() => this.checkAbort(), WATCH_MS)
    this.timer.unref()
    const onInterrupt = (): void => this.stop(new StopReason('interrupt', 'interrupted'))
    if (interrupt?.aborted) onInterrupt()
    interrupt?.addEventListener('abort', onInterrupt, { once: true })
    this.offInterrupt = () => interrupt?.removeEventListener('abort', onInterrupt)
  }

  /** Aborts when the run must stop (interrupt or `rollout abort`): every wait takes it. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** Why the run must stop, or undefined. `rollout abort` wins over an interrupt. */
  get reason(): StopReason | undefined {
    this.checkAbort()
    if (this.abortedByOther) return ABORTED
    const r: unknown = this.controller.signal.reason
    return this.controller.signal.aborted && r instanceof StopReason ? r : undefined
  }

  /** `rollout abort` asked this run to stop: it must change nothing more. */
  get aborted(): boolean {
    this.checkAbort()
    return this.abortedByOther
  }

  /** Throw the stop reason if the run was told to stop. */
  check(): void {
    const r = this.reason
    if (r !== undefined) throw r
  }

  /** Make one change to the router, unless the run was told to stop. */
  async act<T>(change: () => Promise<T>): Promise<T> {
    this.check()
    return this.track(change())
  }

  /** Make a change even after an interrupt (rolling back), but never after `rollout abort`: then undefined. */
  async actAlways<T>(change: () => Promise<T>): Promise<T | undefined> {
    if (this.aborted) return undefined
    return this.track(change())
  }

  dispose(): void {
    clearInterval(this.timer)
    this.offInterrupt()
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.busy = p
    try {
      return await p
    } finally {
      if (this.busy === p) this.busy = undefined
    }
  }

  private stop(reason: StopReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason)
  }

  private checkAbort(): void {
    if (this.abortedByOther || !this.store.abortRequested()) return
    this.abortedByOther = true
    this.stop(ABORTED)
    // Tell the abort it may restore, once the change in progress (if any) is done.
    void (this.busy ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        try {
          this.store.markStopped()
        } catch {
          /* the abort already cleaned up */
        }
      })
  }
}

const ABORTED = new StopReason('aborted', "aborted by 'wampctl rollout abort' (which restores the starting weights)")
