import type { Handler, Payload } from '../support/peers.js'

/**
 * A callee handler that holds every invocation until the test releases it, so a test can have
 * calls in flight exactly when it wants them. `waitHeld(n)` waits (bounded) until n are held.
 */
export class HeldCalls {
  private readonly held: Array<() => void> = []
  private readonly waiters = new Set<() => void>()

  constructor(private readonly answer: string) {}

  readonly handler: Handler = () =>
    new Promise<Partial<Payload>>((resolve) => {
      this.held.push(() => resolve({ args: [this.answer] }))
      for (const w of [...this.waiters]) w()
    })

  get count(): number {
    return this.held.length
  }

  /** Answer the oldest held invocation. */
  releaseOne(): void {
    this.held.shift()?.()
  }

  releaseAll(): void {
    while (this.held.length > 0) this.releaseOne()
  }

  waitHeld(n: number, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.held.length < n) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`only ${this.held.length} of ${n} invocations held after ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.add(check)
      check()
    })
  }
}
