/**
 * Waiting without sleeping blindly: every wait ends at a deadline, on an abort signal, or early
 * when something `kick`s it (a meta event said the thing we wait for may have happened).
 */

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      done()
      reject(signal!.reason)
    }
    const timer = setTimeout(
      () => {
        done()
        resolve()
      },
      Math.max(0, ms),
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** A wake-up call for a poll loop: `kick()` ends the current `nap` early. */
export class Waker {
  private wake: (() => void) | undefined
  private kicked = false

  kick(): void {
    this.kicked = true
    this.wake?.()
  }

  /** Sleep up to `ms` (less if kicked meanwhile or since the last nap). */
  async nap(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.kicked) {
      this.kicked = false
      return
    }
    const kicked = new Promise<void>((resolve) => (this.wake = resolve))
    try {
      await Promise.race([sleep(ms, signal), kicked])
    } finally {
      this.wake = undefined
      this.kicked = false
    }
  }
}

/**
 * Poll `check` until it returns a value (not undefined), re-checking every `pollMs` or when
 * `waker` is kicked. Returns undefined at the deadline (epoch ms); rejects when `signal` aborts.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  opts: { deadline: number; pollMs: number; waker?: Waker; signal?: AbortSignal },
): Promise<T | undefined> {
  const waker = opts.waker ?? new Waker()
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason
    const v = await check()
    if (v !== undefined) return v
    const left = opts.deadline - Date.now()
    if (left <= 0) return undefined
    await waker.nap(Math.min(opts.pollMs, left), opts.signal)
  }
}
