/**
 * Run `fn` at most once per `intervalMs`, trailing: a burst of `schedule()` calls yields one run
 * now (if the last run is old enough) and one at the end of the interval, never more. This is
 * what keeps the live views at ≤ 10 redraws a second however fast the model changes.
 */
export interface Throttle {
  schedule(): void
  cancel(): void
}

export function throttle(fn: () => void, intervalMs: number, now: () => number = () => performance.now()): Throttle {
  let last = -Infinity
  let timer: NodeJS.Timeout | undefined
  const run = (): void => {
    timer = undefined
    last = now()
    fn()
  }
  return {
    schedule() {
      if (timer !== undefined) return
      const wait = last + intervalMs - now()
      if (wait <= 0) run()
      else timer = setTimeout(run, wait)
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}
