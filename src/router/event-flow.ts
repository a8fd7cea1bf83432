import { EventDropReason, type RouterCounters } from './counters.js'
import type { FrameTransport } from './transport.js'
import { flushNow } from './write-batcher.js'

/** What became of one EVENT offered to a subscriber's connection. */
export const EventDelivery = {
  /** Queued for sending. */
  sent: 0,
  /** Queued, and the subscriber's unsent data is past the pushback bound: slow the publisher down. */
  congested: 1,
  /** Not sent: the subscriber's unsent data is past maxEventQueueBytes (counted and logged). */
  dropped: 2,
} as const
export type EventDelivery = (typeof EventDelivery)[keyof typeof EventDelivery]

/** A subscriber whose unsent data passes this share of maxEventQueueBytes pushes back on publishers. */
const PUSHBACK_SHARE = 4
/**
 * A publisher is paused until the congested subscriber drains, or this long at most: so that one
 * subscriber that stops reading (frozen, until liveness drops it) slows publishers for a moment,
 * then loses events instead of holding everyone back.
 */
const MAX_PAUSE_MS = 250
/** Deliveries one publisher may cause before the router handles other connections (tens of ms of work). */
const TURN_BUDGET = 20_000

export interface EventFlowHost {
  readonly maxEventQueueBytes: number
  readonly counters: RouterCounters
  warn(message: string): void
}

/**
 * Overload policy of one connection, both ways. As a subscriber: EVENTs are the one message the
 * router may drop; one offered while the peer's unsent data is past maxEventQueueBytes is dropped,
 * counted (here, per connection, and in the router's counters) and logged once per episode. As a
 * publisher: while the fan-out of its last PUBLISH left a subscriber congested, the router stops
 * reading from it (TCP then slows it down) until that subscriber drains. So memory stays bounded
 * (about maxEventQueueBytes per subscriber) and every loss is explicit.
 */
export class EventFlow {
  /** Events dropped for this peer since it connected. */
  dropped = 0
  /** Dropped in the current episode (since the last event that got through). */
  private dropping = 0
  /** Deliveries this publisher caused since it last yielded the event loop. */
  private deliveriesThisTurn = 0
  /** Set while held back as a publisher: ends the hold-back without resuming. */
  private release: (() => void) | undefined

  constructor(
    private readonly transport: FrameTransport,
    private readonly host: EventFlowHost,
    /** Called when a hold-back ends: the connection handles the frames that waited. */
    private readonly resumed: () => void,
  ) {}

  /** This publisher is held back: the connection handles none of its frames until it is resumed. */
  get held(): boolean {
    return this.release !== undefined
  }

  /** May an EVENT be queued for this subscriber now? Hot path: one read and a compare, mostly. */
  admit(): EventDelivery {
    const max = this.host.maxEventQueueBytes
    let queued = this.transport.bufferedAmount
    if (queued > max / PUSHBACK_SHARE) {
      // Part of it may only be corked for this turn (write-batcher.ts): hand it to the kernel now,
      // so that only what the peer has not read yet counts, not a burst it would take at once.
      flushNow(this.transport)
      queued = this.transport.bufferedAmount
    }
    if (queued > max) {
      if (this.dropping++ === 0) {
        this.host.warn(`subscriber ${this.transport.info.peer}: ${queued} bytes unsent (over ${max}), dropping events until it catches up`)
      }
      this.dropped++
      this.host.counters.eventDropped(EventDropReason.backpressure)
      return EventDelivery.dropped
    }
    if (this.dropping > 0) {
      this.host.warn(`subscriber ${this.transport.info.peer}: caught up after ${this.dropping} dropped event(s)`)
      this.dropping = 0
    }
    return queued > max / PUSHBACK_SHARE ? EventDelivery.congested : EventDelivery.sent
  }

  /**
   * A PUBLISH of this peer was fanned out to `deliveries` subscribers, leaving `congested` (if any)
   * past the pushback bound. Either way, a publisher whose fan-out this turn passes TURN_BUDGET
   * yields the event loop before its next frame is handled, so one read of many PUBLISHes cannot
   * stall every other session (and the router's pongs and timers) for seconds.
   */
  published(deliveries: number, congested: EventFlow | undefined): void {
    if (congested !== undefined) return this.holdBack(congested)
    this.deliveriesThisTurn += deliveries
    if (this.deliveriesThisTurn < TURN_BUDGET || this.release !== undefined) return
    this.transport.pause()
    const release = (): void => {
      this.release = undefined
      this.deliveriesThisTurn = 0
      clearImmediate(next)
    }
    const next = setImmediate(() => {
      if (this.release !== release) return
      release()
      this.transport.resume()
      this.resumed()
    })
    this.release = release
  }

  /** This publisher's events left `subscriber` congested: stop reading from it until that one drains. */
  private holdBack(subscriber: EventFlow): void {
    if (this.release !== undefined || subscriber === this) return
    this.transport.pause()
    const socket = subscriber.transport.socket
    const release = (): void => {
      this.release = undefined
      this.deliveriesThisTurn = 0
      clearTimeout(timer)
      socket.off('drain', resume)
      socket.off('close', resume)
    }
    const resume = (): void => {
      if (this.release !== release) return
      release()
      this.transport.resume()
      this.resumed()
    }
    this.release = release
    const timer = setTimeout(resume, MAX_PAUSE_MS)
    timer.unref()
    socket.once('drain', resume)
    socket.once('close', resume)
  }

  /** The connection is closing: forget any hold-back (its listeners on another socket included). */
  stop(): void {
    this.release?.()
  }
}
