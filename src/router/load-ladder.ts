import type { Callee } from './registration.js'

/**
 * The callees of one `least_loaded` registration that can take a call right now (in rotation and
 * under their concurrency cap), kept in buckets by calls in flight: an ordered list of non-empty
 * buckets, each a FIFO of callees with that load (the LFU-cache structure).
 *
 * Why exact buckets rather than power-of-two random choices: a call changes one callee's load by
 * exactly ±1, so moving it to the neighbouring bucket is O(1), and the least loaded callee is the
 * head of the first bucket, also O(1). The answer is exact and deterministic (testable by counts),
 * and ties rotate round-robin for free: a picked callee leaves its bucket and, when its call ends,
 * rejoins that bucket at the tail, behind the callees that waited with the same load.
 *
 * Only (re)inserting a callee at an arbitrary load (uncordon, weight raised, back under its cap)
 * walks the buckets: O(distinct loads), at most O(callees), and never for uncapped callees on the
 * per-call path.
 */
export class LoadLadder {
  private first: Bucket | undefined
  private last: Bucket | undefined
  /** The last emptied bucket, reused: a call moving one callee up and back needs no allocation. */
  private spare: Bucket | undefined

  /** The least loaded callee that can take a call, or undefined. O(1). */
  least(): Callee | undefined {
    return this.first?.head
  }

  /** Whether `c` sits on the ladder (can take a call now). */
  has(c: Callee): boolean {
    return c.rung !== undefined
  }

  /** A call was sent to `c` (its inflight already counts it). */
  started(c: Callee): void {
    const from = c.rung
    if (from === undefined) return
    this.unlink(c)
    if (c.inflight >= c.concurrency) {
      this.dropIfEmpty(from)
      return
    }
    let to = from.next
    if (to === undefined || to.load !== c.inflight) to = this.bucketAfter(from, c.inflight)
    this.append(to, c)
    this.dropIfEmpty(from)
  }

  /** A call of `c` ended (its inflight no longer counts it). `canTake`: in rotation and attached. */
  finished(c: Callee, canTake: boolean): void {
    const from = c.rung
    if (from === undefined) {
      if (canTake) this.place(c)
      return
    }
    this.unlink(c)
    let to = from.prev
    if (to === undefined || to.load !== c.inflight) to = this.bucketBefore(from, c.inflight)
    this.append(to, c)
    this.dropIfEmpty(from)
  }

  /** Put `c` on or take it off the ladder after its state, weight or attachment changed. */
  refresh(c: Callee, canTake: boolean): void {
    const on = canTake && c.inflight < c.concurrency
    if (on && c.rung === undefined) this.place(c)
    else if (!on && c.rung !== undefined) this.remove(c)
  }

  remove(c: Callee): void {
    const from = c.rung
    if (from === undefined) return
    this.unlink(c)
    this.dropIfEmpty(from)
  }

  /** Insert `c` at the tail of the bucket for its load, searching from the most loaded end. */
  private place(c: Callee): void {
    if (c.inflight >= c.concurrency) return
    let b = this.last
    while (b !== undefined && b.load > c.inflight) b = b.prev
    let to: Bucket
    if (b !== undefined && b.load === c.inflight) to = b
    else if (b !== undefined) to = this.bucketAfter(b, c.inflight)
    else to = this.newFirst(c.inflight)
    this.append(to, c)
  }

  private bucket(load: number): Bucket {
    const n = this.spare
    if (n === undefined) return new Bucket(load)
    this.spare = undefined
    n.load = load
    return n
  }

  private bucketAfter(b: Bucket, load: number): Bucket {
    const n = this.bucket(load)
    n.prev = b
    n.next = b.next
    if (b.next !== undefined) b.next.prev = n
    else this.last = n
    b.next = n
    return n
  }

  private bucketBefore(b: Bucket, load: number): Bucket {
    if (b.prev === undefined) return this.newFirst(load)
    return this.bucketAfter(b.prev, load)
  }

  private newFirst(load: number): Bucket {
    const n = this.bucket(load)
    n.next = this.first
    if (this.first !== undefined) this.first.prev = n
    else this.last = n
    this.first = n
    return n
  }

  private append(b: Bucket, c: Callee): void {
    c.rung = b
    c.rungPrev = b.tail
    c.rungNext = undefined
    if (b.tail !== undefined) b.tail.rungNext = c
    else b.head = c
    b.tail = c
  }

  private unlink(c: Callee): void {
    const b = c.rung!
    if (c.rungPrev !== undefined) c.rungPrev.rungNext = c.rungNext
    else b.head = c.rungNext
    if (c.rungNext !== undefined) c.rungNext.rungPrev = c.rungPrev
    else b.tail = c.rungPrev
    c.rung = c.rungPrev = c.rungNext = undefined
  }

  private dropIfEmpty(b: Bucket): void {
    if (b.head !== undefined) return
    if (b.prev !== undefined) b.prev.next = b.next
    else this.first = b.next
    if (b.next !== undefined) b.next.prev = b.prev
    else this.last = b.prev
    b.prev = b.next = undefined
    this.spare = b
  }
}

/** Callees with `load` calls in flight, oldest first. */
export class Bucket {
  prev: Bucket | undefined
  next: Bucket | undefined
  head: Callee | undefined
  tail: Callee | undefined
  constructor(public load: number) {}
}
