import type { Codec } from './codec.js'
import { LatencyRecorder } from './latency.js'
import { Peer, W } from './peer.js'

export interface RpcShape {
  callees: number
  callers: number
  /** Calls each caller keeps in flight. */
  inflight: number
  /** Invoke policy of the shared registration. Default roundrobin. */
  invoke?: string
  /**
   * The first callee is slow: it serves one call at a time, each taking this many ms (a timer, so
   * it costs the load generator no CPU), like an instance with a fraction of the others' capacity.
   */
  slowMs?: number
  /** REGISTER `concurrency` of the slow callee and of the others (absent: no cap). */
  slowConcurrency?: number
  concurrency?: number
  /** Each CALL carries `rkey` = one of this many keys, round the clock. */
  rkeys?: number
}

export interface RpcWindow {
  calls: number
  errors: number
  seconds: number
  p50Ms: number
  p99Ms: number
  /** Invocations each callee served in the window, in registration order. */
  perCallee: number[]
  firstError?: string
}

const PROCEDURE = 'bench.echo'
const ARGS = ['bench', 42]

/**
 * The RPC scenario: `callees` sessions share one registration (`roundrobin` unless the shape says
 * otherwise) and echo their arguments, the first one slowly when `slowMs` is set; `callers`
 * sessions each keep `inflight` CALLs outstanding, timing each call from CALL sent to RESULT received.
 */
export class RpcLoad {
  private readonly callees: Peer[] = []
  private readonly callers: Peer[] = []
  private readonly served: number[] = []
  private readonly latency = new LatencyRecorder()
  private calls = 0
  private errors = 0
  private running = false
  private outstanding = 0
  private windowStart = 0
  private firstError: string | undefined

  constructor(
    private readonly url: string,
    private readonly codec: Codec,
    private readonly shape: RpcShape,
    /** Where the callees connect; the callers connect to `url`. */
    private readonly calleeUrl = url,
  ) {}

  async setUp(realm: string): Promise<void> {
    const shape = this.shape
    for (let i = 0; i < shape.callees; i++) {
      const p = await Peer.connect(this.calleeUrl, this.codec, realm)
      const slow = i === 0 && shape.slowMs !== undefined
      const options: Record<string, unknown> = { invoke: shape.invoke ?? 'roundrobin' }
      const cap = slow ? shape.slowConcurrency : shape.concurrency
      if (cap !== undefined) options.concurrency = cap
      await p.request([W.REGISTER, 1, options, PROCEDURE], W.REGISTERED)
      const index = i
      this.served.push(0)
      const answer = (m: unknown[]): void => p.send(m.length > 4 ? [W.YIELD, m[1], {}, m[4]] : [W.YIELD, m[1], {}])
      if (slow) {
        // One call at a time, slowMs each: calls beyond the first wait their turn inside the callee.
        const backlog: unknown[][] = []
        const serveNext = (): void => {
          const m = backlog[0]
          if (m === undefined) return
          setTimeout(() => {
            backlog.shift()
            answer(m)
            serveNext()
          }, shape.slowMs)
        }
        p.onMessage = (m) => {
          if (m[0] !== W.INVOCATION) return
          this.served[index]!++
          backlog.push(m)
          if (backlog.length === 1) serveNext()
        }
      } else {
        p.onMessage = (m) => {
          if (m[0] !== W.INVOCATION) return
          this.served[index]!++
          answer(m)
        }
      }
      this.callees.push(p)
    }
    for (let i = 0; i < this.shape.callers; i++) this.callers.push(await Peer.connect(this.url, this.codec, realm))
    if (this.calleeUrl !== this.url) await this.untilCallable()
  }

  /**
   * Callees on another node of a cluster: the callers' node learns of their registration through
   * its replica, a moment after REGISTERED. Call until a call is answered (bounded), so that the
   * warm-up starts with every caller able to reach the callees.
   */
  private async untilCallable(): Promise<void> {
    const deadline = performance.now() + 15_000
    for (let attempt = 1; ; attempt++) {
      try {
        await this.callers[0]!.request([W.CALL, 2 ** 40 + attempt, {}, PROCEDURE, ARGS], W.RESULT)
        return
      } catch (err) {
        if (performance.now() > deadline)
          throw new Error(`the callers' node could not call the callees' within 15 s: ${String(err)}`, { cause: err })
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }

  /** Fill every caller's window of calls in flight; each RESULT sends the next CALL while running. */
  start(): void {
    this.running = true
    for (const p of this.callers) {
      const sentAt = new Map<number, number>()
      let nextRequest = 1
      const rkeys = this.shape.rkeys
      const callNext = (): void => {
        const request = nextRequest++
        sentAt.set(request, performance.now())
        this.outstanding++
        p.send([W.CALL, request, rkeys === undefined ? {} : { rkey: `k${request % rkeys}` }, PROCEDURE, ARGS])
      }
      p.onMessage = (m) => {
        const type = m[0]
        if (type !== W.RESULT && type !== W.ERROR) return
        const request = (type === W.RESULT ? m[1] : m[2]) as number
        const t0 = sentAt.get(request)
        if (t0 === undefined) return
        sentAt.delete(request)
        this.outstanding--
        if (type === W.RESULT) {
          this.calls++
          this.latency.record(performance.now() - t0)
        } else {
          this.errors++
          this.firstError ??= String(m[4])
        }
        if (this.running) callNext()
      }
      for (let i = 0; i < this.shape.inflight; i++) callNext()
    }
  }

  /** Start the measured window: counters and latencies from here on. */
  markWindowStart(): void {
    this.calls = 0
    this.errors = 0
    this.latency.reset()
    this.served.fill(0)
    this.windowStart = performance.now()
  }

  /** End the measured window and read it (calls keep flowing until stop()). */
  readWindow(): RpcWindow {
    // Counters first, at the window's end; sorting latencies comes after.
    const seconds = (performance.now() - this.windowStart) / 1000
    const { calls, errors } = this
    const perCallee = [...this.served]
    const [p50, p99] = this.latency.quantiles([0.5, 0.99])
    const w: RpcWindow = { calls, errors, seconds, p50Ms: p50!, p99Ms: p99!, perCallee }
    if (this.firstError !== undefined) w.firstError = this.firstError
    return w
  }

  /** Stop issuing calls and wait (bounded) for those in flight, then close every session. */
  async stop(drainMs: number): Promise<void> {
    this.running = false
    const deadline = performance.now() + drainMs
    while (this.outstanding > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const p of [...this.callers, ...this.callees]) p.close()
  }
}
