import type { Dict, Handler, Peer, Payload } from './peers.js'

const WAIT_MS = 10_000

/**
 * A callee that counts, on its own side, how many calls it works on at once (and the most ever),
 * and holds each call until the test releases it: calls in flight stay in flight as long as the
 * test needs, with no timing involved. `answerAtOnce()` switches it to answering immediately.
 */
export class HeldCallee {
  current = 0
  max = 0
  served = 0
  /** Arguments of every invocation, in arrival order. */
  readonly seen: unknown[] = []
  private held: Array<() => void> = []
  private atOnce = false
  private waiters: Array<{ ok: () => boolean; resolve: () => void }> = []

  constructor(
    readonly name: string,
    readonly peer: Peer,
  ) {}

  static async register(peer: Peer, name: string, uri: string, options: Dict): Promise<{ callee: HeldCallee; registration: number }> {
    const callee = new HeldCallee(name, peer)
    const registration = await peer.register(uri, callee.handler, options)
    return { callee, registration }
  }

  readonly handler: Handler = async (inv): Promise<Partial<Payload>> => {
    this.current++
    this.max = Math.max(this.max, this.current)
    this.served++
    this.seen.push(inv.args[0])
    const answered = this.atOnce ? undefined : new Promise<void>((resolve) => this.held.push(resolve))
    this.notify()
    await answered
    this.current--
    this.notify()
    return { args: [this.name, inv.args[0]] }
  }

  /** Calls held right now. */
  get holding(): number {
    return this.held.length
  }

  /** Answer every held call (and hold new ones again). */
  release(n = Infinity): void {
    for (const r of this.held.splice(0, n)) r()
  }

  /** From now on answer every call at once, and answer those held. */
  answerAtOnce(): void {
    this.atOnce = true
    this.release()
  }

  /** Resolves once `ok()` holds, re-checked on every arrival and answer here; fails after a deadline. */
  until(ok: () => boolean, what: string): Promise<void> {
    return untilAll([this], ok, what)
  }

  /** @internal */
  addWaiter(w: { ok: () => boolean; resolve: () => void }): void {
    this.waiters.push(w)
  }

  /** @internal */
  removeWaiter(w: { ok: () => boolean; resolve: () => void }): void {
    this.waiters = this.waiters.filter((x) => x !== w)
  }

  private notify(): void {
    for (const w of [...this.waiters]) if (w.ok()) w.resolve()
  }
}

/** Resolves once `ok()` holds, re-checked whenever any of `callees` gets or answers a call; bounded. */
export function untilAll(callees: HeldCallee[], ok: () => boolean, what: string): Promise<void> {
  if (ok()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const w = {
      ok,
      resolve: () => {
        clearTimeout(timer)
        for (const c of callees) c.removeWaiter(w)
        resolve()
      },
    }
    const timer = setTimeout(() => {
      for (const c of callees) c.removeWaiter(w)
      reject(new Error(`not within ${WAIT_MS} ms: ${what}`))
    }, WAIT_MS)
    for (const c of callees) c.addWaiter(w)
  })
}
