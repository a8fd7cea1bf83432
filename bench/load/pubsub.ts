import type { Codec } from './codec.js'
import { LatencyRecorder } from './latency.js'
import { Peer, W } from './peer.js'

export interface PubSubShape {
  subscribers: number
  publishers: number
  /** Acknowledged PUBLISHes each publisher keeps in flight. */
  inflight: number
  /**
   * Pace by the events instead of the acknowledgements: each publisher keeps `inflight` PUBLISHes
   * (not acknowledged) whose EVENT the first subscriber has not received yet. On a router cluster
   * the publisher's node acknowledges at once, before the other nodes deliver, so only the events
   * keep a publisher from running ahead of subscribers on another node (bench/cluster.ts). The
   * latency is then PUBLISH sent → the first subscriber's EVENT.
   */
  paceByEvents?: boolean
}

export interface PubSubWindow {
  /** EVENTs received, summed over subscribers. */
  events: number
  publishes: number
  errors: number
  seconds: number
  /** PUBLISH sent → PUBLISHED received. */
  p50Ms: number
  p99Ms: number
  /** EVENTs each subscriber received in the window. */
  perSubscriber: number[]
  firstError?: string
}

const TOPIC = 'bench.tick'
const ARGS = ['bench', 42]

/**
 * The pub/sub scenario: `subscribers` sessions subscribe to one topic; `publishers` sessions each
 * keep `inflight` acknowledged PUBLISHes outstanding (the acknowledgement paces them, so the
 * router is never flooded past what it can deliver).
 */
export class PubSubLoad {
  private readonly subscribers: Peer[] = []
  private readonly publishers: Peer[] = []
  private readonly received: number[] = []
  private readonly latency = new LatencyRecorder()
  private publishes = 0
  private errors = 0
  private running = false
  private outstanding = 0
  private windowStart = 0
  private firstError: string | undefined

  /** Paced by events: per publisher, its PUBLISHes in flight by sequence number → when sent. */
  private readonly paced: Array<{ sentAt: Map<number, number>; publishNext: () => void }> = []

  constructor(
    private readonly url: string,
    private readonly codec: Codec,
    private readonly shape: PubSubShape,
    /** Where the subscribers connect (another node of a router cluster, bench/cluster.ts); default `url`. */
    private readonly subscriberUrl = url,
  ) {}

  async setUp(realm: string): Promise<void> {
    for (let i = 0; i < this.shape.subscribers; i++) {
      const p = await Peer.connect(this.subscriberUrl, this.codec, realm)
      await p.request([W.SUBSCRIBE, 1, {}, TOPIC], W.SUBSCRIBED)
      const index = i
      this.received.push(0)
      p.onMessage = (m) => {
        if (m[0] !== W.EVENT) return
        this.received[index]!++
        if (index === 0 && this.shape.paceByEvents === true) this.delivered(m[4] as [string, number, number])
      }
      this.subscribers.push(p)
    }
    for (let i = 0; i < this.shape.publishers; i++) this.publishers.push(await Peer.connect(this.url, this.codec, realm))
  }

  start(): void {
    this.running = true
    if (this.shape.paceByEvents === true) return this.startPacedByEvents()
    for (const p of this.publishers) {
      const sentAt = new Map<number, number>()
      let nextRequest = 1
      const publishNext = (): void => {
        const request = nextRequest++
        sentAt.set(request, performance.now())
        this.outstanding++
        p.send([W.PUBLISH, request, { acknowledge: true }, TOPIC, ARGS])
      }
      p.onMessage = (m) => {
        const type = m[0]
        if (type !== W.PUBLISHED && type !== W.ERROR) return
        const request = (type === W.PUBLISHED ? m[1] : m[2]) as number
        const t0 = sentAt.get(request)
        if (t0 === undefined) return
        sentAt.delete(request)
        this.outstanding--
        if (type === W.PUBLISHED) {
          this.publishes++
          this.latency.record(performance.now() - t0)
        } else {
          this.errors++
          this.firstError ??= String(m[4])
        }
        if (this.running) publishNext()
      }
      for (let i = 0; i < this.shape.inflight; i++) publishNext()
    }
  }

  private startPacedByEvents(): void {
    this.publishers.forEach((p, index) => {
      const sentAt = new Map<number, number>()
      let seq = 0
      const publishNext = (): void => {
        seq++
        sentAt.set(seq, performance.now())
        this.outstanding++
        p.send([W.PUBLISH, seq, {}, TOPIC, ['bench', index, seq]])
      }
      this.paced.push({ sentAt, publishNext })
      for (let i = 0; i < this.shape.inflight; i++) publishNext()
    })
  }

  /** The first subscriber got publisher `index`'s publication `seq`: it is done; the next one goes. */
  private delivered([, index, seq]: [string, number, number]): void {
    const pub = this.paced[index]
    const t0 = pub?.sentAt.get(seq)
    if (pub === undefined || t0 === undefined) return
    pub.sentAt.delete(seq)
    this.outstanding--
    this.publishes++
    this.latency.record(performance.now() - t0)
    if (this.running) pub.publishNext()
  }

  markWindowStart(): void {
    this.publishes = 0
    this.errors = 0
    this.latency.reset()
    this.received.fill(0)
    this.windowStart = performance.now()
  }

  readWindow(): PubSubWindow {
    const seconds = (performance.now() - this.windowStart) / 1000
    const events = this.received.reduce((a, b) => a + b, 0)
    const perSubscriber = [...this.received]
    const { publishes, errors } = this
    const [p50, p99] = this.latency.quantiles([0.5, 0.99])
    const w: PubSubWindow = { events, publishes, errors, seconds, p50Ms: p50!, p99Ms: p99!, perSubscriber }
    if (this.firstError !== undefined) w.firstError = this.firstError
    return w
  }

  async stop(drainMs: number): Promise<void> {
    this.running = false
    const deadline = performance.now() + drainMs
    while (this.outstanding > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const p of [...this.publishers, ...this.subscribers]) p.close()
  }
}
