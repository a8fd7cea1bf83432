import type { Args, Dict, Kwargs } from './inbound.js'
import type { Callee, Registration } from './registration.js'
import type { Session } from './session.js'

/** How long a registration's call queue may grow and how long a call may wait in it (realm config). */
export interface CallQueueLimits {
  /** Calls waiting per registration; 0 = never wait. */
  size: number
  /** Longest wait, ms, before the call is answered `wamp.error.no_available_callee`. */
  maxWaitMs: number
}

export const DEFAULT_CALL_QUEUE: Readonly<CallQueueLimits> = { size: 1000, maxWaitMs: 30_000 }

/** Why a call got no callee from the queue: in ERROR.Kwargs.reason, so programs need not parse text. */
export const QueueRefusal = {
  full: 'queue_full',
  waitedTooLong: 'queue_timeout',
  calleesGone: 'callees_gone',
} as const

/**
 * A CALL waiting for a callee with room (every eligible callee is at its concurrency cap). It is
 * indexed by its registration's queue (FIFO) and by its caller (session.queued, by CALL.Request),
 * so a freed slot, a cancel, a timeout or the caller leaving finds it in O(1).
 */
export class QueuedCall {
  prev: QueuedCall | undefined
  next: QueuedCall | undefined
  timer: NodeJS.Timeout | undefined
  readonly enqueuedAt = performance.now()

  constructor(
    readonly registration: Registration,
    readonly caller: Session,
    readonly request: number,
    readonly options: Dict,
    readonly procedure: string,
    readonly args: Args,
    readonly kwargs: Kwargs,
    readonly rkey: string | undefined,
    /** Callees that already answered wamp.error.unavailable (a rerouted call waiting for another). */
    readonly tried: ReadonlySet<Callee> | undefined,
    /** performance.now() at which the CALL's own timeout fires, if it has one. */
    readonly deadline: number | undefined,
  ) {}
}

/** One registration's waiting calls, oldest first; O(1) push, shift and removal from anywhere. */
export class CallQueue {
  length = 0
  head: QueuedCall | undefined
  private tail: QueuedCall | undefined

  push(q: QueuedCall): void {
    q.prev = this.tail
    q.next = undefined
    if (this.tail !== undefined) this.tail.next = q
    else this.head = q
    this.tail = q
    this.length++
  }

  remove(q: QueuedCall): void {
    if (q.prev !== undefined) q.prev.next = q.next
    else if (this.head === q) this.head = q.next
    else return // not queued (already removed)
    if (q.next !== undefined) q.next.prev = q.prev
    else this.tail = q.prev
    q.prev = q.next = undefined
    this.length--
  }
}
