import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import { setWebSocketFrameCap } from './frame-limits.js'
import type { CloseKind, FrameTransport, TransportInfo, TransportListener } from './transport.js'

const CLOSE_CODE: Record<CloseKind, number> = { normal: 1000, 'going-away': 1001, 'protocol-error': 1002 }

/** A WAMP connection over WebSocket (`ws`): one WebSocket message is one WAMP message. */
export class WebSocketTransport implements FrameTransport {
  readonly socket: Socket
  readonly maxSendBytes = Infinity
  corked = false

  constructor(
    private readonly ws: WebSocket,
    readonly info: TransportInfo,
  ) {
    this.socket = (ws as unknown as { _socket: Socket })._socket
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount
  }

  attach(listener: TransportListener): void {
    this.ws.on('message', (data: Buffer) => listener.frame(data))
    this.ws.on('pong', () => listener.pong())
    this.ws.on('close', () => listener.closed())
    this.ws.on('error', () => {
      /* a broken socket ends in 'close'; nothing to add */
    })
  }

  send(data: Buffer | string, binary: boolean): void {
    this.ws.send(data, { binary })
  }

  close(kind: CloseKind, reason: string): void {
    this.ws.close(CLOSE_CODE[kind], truncate(reason, 120))
  }

  terminate(): void {
    this.ws.terminate()
  }

  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    this.ws.resume()
  }

  ping(): void {
    this.ws.ping()
  }

  setFrameCap(bytes: number): void {
    setWebSocketFrameCap(this.ws, bytes)
  }
}

function truncate(s: string, n: number): string {
  // WebSocket close reasons are limited to 123 bytes.
  const b = Buffer.from(s)
  return b.length <= n
    ? s
    : b
        .subarray(0, n)
        .toString('utf8')
        .replace(/\uFFFD$/, '')
}
