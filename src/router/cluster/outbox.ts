/**
 * What this node sends to other nodes' call subjects, batched per turn of the event loop: every
 * frame written to one subject until the end of the turn goes out as ONE NATS message, a msgpack
 * array of the frames (call-wire.ts). A crossing call's INVOCATION and RESULT then cost a share
 * of one publish, one NATS protocol line, one socket write and one message for nats-server and
 * the receiving node's NATS parser, instead of one each: those were most of what a crossing call
 * cost a node above a local call (bench/RESULTS.md, "Router cluster"). Nothing waits on a timer:
 * the batches go at the end of the turn (setImmediate, as write-batcher.ts does for peers).
 *
 * Frames are written straight into the batch's buffer in msgpack: a frame is an array of a few
 * plain items (strings, integers, booleans) followed by one WAMP message already encoded in
 * msgpack, spliced in as it is. A batch never grows past NATS's max_payload: a frame that would
 * take it over starts the next message (sent at once); a frame alone larger than that goes alone
 * and fails as a publish of it would.
 */

import type { NatsConnection } from '@nats-io/transport-node'

/** NATS's default max_payload, until the server's INFO says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024

/** A plain item of a frame's head. */
export type FrameItem = string | number | boolean

/** Told when a frame could not be handed to NATS: connection closed, or the frame alone is larger than max_payload (`tooLarge`). */
export interface Undelivered {
  undelivered(why: string, tooLarge: boolean): void
}

/** msgpack array32: 0xdd, then the count (u32, big-endian), written when the batch is sent. */
const BATCH_HEADER = 5
/** msgpack fixarray: 0x90 + the number of items, up to 15 (array16 beyond). */
const FIXARRAY = 0x90
/** A first buffer that fits a turn's worth of small frames without growing. */
const INITIAL_BYTES = 16 * 1024

class Batch {
  buf: Buffer
  len = BATCH_HEADER
  frames = 0
  undelivered: Undelivered[] | undefined

  constructor(bytes: number) {
    this.buf = Buffer.allocUnsafe(bytes)
  }

  ensure(more: number): void {
    const need = this.len + more
    if (need <= this.buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2))
    this.buf.copy(grown, 0, 0, this.len)
    this.buf = grown
  }

  /** Bytes of this frame at most (strings counted at 3 bytes a UTF-16 unit, the UTF-8 bound). */
  static bound(head: readonly FrameItem[], tail: Buffer): number {
    let n = 3 + tail.length
    for (const item of head) n += typeof item === 'string' ? 5 + item.length * 3 : 9
    return n
  }

  write(head: readonly FrameItem[], tail: Buffer): void {
    const b = this.buf
    const items = head.length + 1
    if (items < 16) b[this.len++] = FIXARRAY + items
    else {
      b[this.len++] = 0xdc
      b.writeUInt16BE(items, this.len)
      this.len += 2
    }
    for (const item of head) {
      if (typeof item === 'string') this.string(item)
      else if (typeof item === 'number') this.number(item)
      else b[this.len++] = item ? 0xc3 : 0xc2
    }
    this.len += tail.copy(b, this.len)
    this.frames++
  }

  private string(s: string): void {
    const b = this.buf
    // Short ASCII (node names, incarnations, authids, roles): byte by byte, no native call.
    if (s.length < 32) {
      const at = this.len
      let i = 0
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) break
        b[at + 1 + i] = c
      }
      if (i === s.length) {
        b[at] = 0xa0 + i
        this.len = at + 1 + i
        return
      }
    }
    const n = Buffer.byteLength(s)
    if (n < 32) b[this.len++] = 0xa0 + n
    else if (n < 0x100) {
      b[this.len++] = 0xd9
      b[this.len++] = n
    } else if (n < 0x10000) {
      b[this.len++] = 0xda
      b.writeUInt16BE(n, this.len)
      this.len += 2
    } else {
      b[this.len++] = 0xdb
      b.writeUInt32BE(n, this.len)
      this.len += 4
    }
    this.len += b.write(s, this.len)
  }

  /** Non-negative safe integers in the smallest form (WAMP ids go up to 2^53); anything else as a float64. */
  private number(x: number): void {
    const b = this.buf
    if (Number.isSafeInteger(x) && x >= 0) {
      if (x < 0x80) b[this.len++] = x
      else if (x < 0x100) {
        b[this.len++] = 0xcc
        b[this.len++] = x
      } else if (x < 0x10000) {
        b[this.len++] = 0xcd
        b.writeUInt16BE(x, this.len)
        this.len += 2
      } else if (x < 0x100000000) {
        b[this.len++] = 0xce
        b.writeUInt32BE(x, this.len)
        this.len += 4
      } else {
        b[this.len++] = 0xcf
        b.writeUInt32BE(Math.floor(x / 0x100000000), this.len)
        b.writeUInt32BE(x >>> 0, this.len + 4)
        this.len += 8
      }
      return
    }
    b[this.len++] = 0xcb
    b.writeDoubleBE(x, this.len)
    this.len += 8
  }

  /** The finished message: the array header with its count, then the frames. */
  seal(): Buffer {
    this.buf[0] = 0xdd
    this.buf.writeUInt32BE(this.frames, 1)
    return this.buf.subarray(0, this.len)
  }
}

export class Outbox {
  private readonly batches = new Map<string, Batch>()
  private scheduled = false
  /** The size of the last batch sent: the next one starts at it, so a busy turn rarely grows. */
  private lastBytes = INITIAL_BYTES
  /** Messages published and frames they carried (the bench and tests read them). */
  messages = 0
  frames = 0

  constructor(
    /** Hands one message to NATS; throws when NATS cannot take it. */
    private readonly publish: (subject: string, data: Uint8Array) => void,
    /** NATS's largest message (its max_payload), read when a batch starts. */
    private readonly maxPayload: () => number,
  ) {}

  /** An outbox that publishes on `nc`, with batches bounded by its server's max_payload. */
  static on(nc: NatsConnection): Outbox {
    return new Outbox(
      (subject, data) => nc.publish(subject, data),
      () => nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
    )
  }

  /**
   * Add frame `[...head, tail]` (`tail` a msgpack-encoded value) to this turn's message on
   * `subject`. `undelivered` is told if NATS refuses the message the frame went in.
   */
  add(subject: string, head: readonly FrameItem[], tail: Buffer, undelivered?: Undelivered): void {
    const bound = Batch.bound(head, tail)
    const limit = this.maxPayload()
    let batch = this.batches.get(subject)
    if (batch !== undefined && batch.frames > 0 && batch.len + bound > limit) {
      // Full: this one goes now, the frame starts the next (the order on the subject is kept).
      this.batches.delete(subject)
      this.send(subject, batch)
      batch = undefined
    }
    if (batch === undefined) {
      batch = new Batch(Math.min(Math.max(this.lastBytes, BATCH_HEADER + bound), Math.max(limit, BATCH_HEADER + bound)))
      this.batches.set(subject, batch)
    }
    batch.ensure(bound)
    batch.write(head, tail)
    if (undelivered !== undefined) (batch.undelivered ??= []).push(undelivered)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  /** Send every batch now (the end of the turn, or before closing). */
  readonly flush = (): void => {
    this.scheduled = false
    if (this.batches.size === 0) return
    const batches = [...this.batches]
    this.batches.clear()
    for (const [subject, batch] of batches) this.send(subject, batch)
  }

  /** Forget what was not sent yet (NATS went away: the calls in those frames are given up anyway). */
  discard(): void {
    this.batches.clear()
  }

  private send(subject: string, batch: Batch): void {
    const data = batch.seal()
    this.lastBytes = Math.max(INITIAL_BYTES, data.length)
    try {
      this.publish(subject, data)
      this.messages++
      this.frames += batch.frames
    } catch (err) {
      const why = (err as Error).message
      const tooLarge = data.length > this.maxPayload()
      for (const u of batch.undelivered ?? []) u.undelivered(why, tooLarge)
    }
  }
}
