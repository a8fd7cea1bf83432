import { RawSocketFrameType } from '../../protocol/rawsocket.js'

export interface FrameSink {
  message(payload: Buffer): void
  ping(payload: Buffer): void
  pong(payload: Buffer): void
  /** The stream broke the framing rules (oversize, reserved bits or type); nothing more is read. */
  invalid(why: string): void
}

/**
 * Cuts a RawSocket byte stream into frames. Each frame's length is checked against `maxLength`
 * from its 4-octet prefix, before any of its payload is buffered: an oversize frame costs the
 * router 4 octets, not the megabytes it announces. Whole frames inside one chunk are sliced out
 * without copying; only a frame split across chunks is gathered.
 */
export class FrameReader {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private failed = false

  constructor(
    private readonly maxLength: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return
    let data = chunk
    if (this.pendingBytes > 0) {
      this.pending.push(chunk)
      this.pendingBytes += chunk.length
      // Gather only once the split frame is complete (or its prefix is readable for the check).
      if (this.pendingBytes < 4) return
      const first = this.pending[0]!.length >= 4 ? this.pending[0]! : Buffer.concat(this.pending)
      const need = 4 + this.frameLength(first)
      if (this.failed) return
      if (this.pendingBytes < need) return
      data = Buffer.concat(this.pending, this.pendingBytes)
      this.pending = []
      this.pendingBytes = 0
    }
    let at = 0
    while (!this.failed && data.length - at >= 4) {
      const length = this.frameLength(data.subarray(at, at + 4))
      if (this.failed) return
      if (data.length - at - 4 < length) break
      const type = data[at]! & 0x07
      const payload = data.subarray(at + 4, at + 4 + length)
      at += 4 + length
      if (type === RawSocketFrameType.message) this.sink.message(payload)
      else if (type === RawSocketFrameType.ping) this.sink.ping(payload)
      else this.sink.pong(payload)
    }
    if (!this.failed && at < data.length) {
      this.pending = [data.subarray(at)]
      this.pendingBytes = data.length - at
    }
  }

  /** The payload length in a prefix; fails the stream on a broken rule. */
  private frameLength(prefix: Buffer): number {
    const head = prefix[0]!
    const x = (head & 0x08) !== 0
    const low = prefix.readUIntBE(1, 3)
    const type = head & 0x07
    if ((head & 0xf0) !== 0) return this.fail('reserved bits set in a frame prefix')
    if (type > RawSocketFrameType.pong) return this.fail(`reserved frame type ${type}`)
    if (x && low !== 0) return this.fail('frame length over 2^24 octets')
    const length = x ? 2 ** 24 : low
    if (length > this.maxLength)
      return this.fail(`a frame of ${length} octets exceeds the maximum of ${this.maxLength} announced in the handshake`)
    return length
  }

  private fail(why: string): number {
    this.failed = true
    this.pending = []
    this.pendingBytes = 0
    this.sink.invalid(why)
    return 0
  }
}
