import type { Socket } from 'node:net'
import { RawSocketFrameType, rawSocketPrefix } from '../../protocol/rawsocket.js'
import type { CloseKind, FrameTransport, TransportInfo, TransportListener } from '../transport.js'
import { FrameReader } from './frame-reader.js'

/** How long a closing transport waits for the peer to close its side before dropping it. */
const CLOSE_LINGER_MS = 2000

/**
 * A WAMP connection over RawSocket, once the handshake is done: each frame carries one WAMP
 * message, a PING or a PONG. A PING is answered at once with a PONG echoing its payload (spec);
 * a frame over the length we announced fails the connection.
 */
export class RawSocketTransport implements FrameTransport {
  corked = false
  private listener: TransportListener | undefined
  private readonly reader: FrameReader
  private closing = false
  private ended = false

  constructor(
    readonly socket: Socket,
    readonly info: TransportInfo,
    /** The most we accept in one frame (announced in our handshake reply). */
    readonly maxReceiveBytes: number,
    /** The most the peer accepts in one frame (announced in its handshake request). */
    readonly maxSendBytes: number,
    /** Bytes that arrived with the handshake, already past it. */
    private readonly leftover: Buffer,
  ) {
    this.reader = new FrameReader(maxReceiveBytes, {
      message: (payload) => this.listener?.frame(payload),
      ping: (payload) => this.writeFrame(RawSocketFrameType.pong, payload),
      pong: () => this.listener?.pong(),
      invalid: () => this.terminate(), // spec: "a Peer MUST fail the connection"
    })
  }

  get bufferedAmount(): number {
    return this.socket.writableLength
  }

  attach(listener: TransportListener): void {
    this.listener = listener
    this.socket.on('data', (chunk: Buffer) => this.reader.push(chunk))
    this.socket.on('close', () => this.onClosed())
    this.socket.on('error', () => {
      /* a broken socket ends in 'close'; nothing to add */
    })
    if (this.leftover.length > 0) this.reader.push(this.leftover)
    if (this.socket.destroyed) this.onClosed()
  }

  send(data: Buffer | string, _binary: boolean): void {
    this.writeFrame(RawSocketFrameType.message, data)
  }

  /** RawSocket has no close frame: the reason stays with the router (ABORT/GOODBYE said it already). */
  close(_kind: CloseKind, _reason: string): void {
    if (this.closing || this.socket.destroyed) return
    this.closing = true
    this.socket.end()
    setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref()
  }

  terminate(): void {
    this.socket.destroy()
  }

  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.socket.resume()
  }

  ping(): void {
    this.writeFrame(RawSocketFrameType.ping, Buffer.alloc(0))
  }

  private writeFrame(type: number, data: Buffer | string): void {
    if (this.closing || this.socket.destroyed) return
    const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length
    // Prefix and payload in two writes: within a corked turn they leave in one writev, no copy.
    this.socket.write(rawSocketPrefix(type, length))
    this.socket.write(data)
  }

  private onClosed(): void {
    if (this.ended) return
    this.ended = true
    this.listener?.closed()
  }
}
