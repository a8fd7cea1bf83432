import type { Corkable } from './write-batcher.js'

/** How a connection ends, in words every transport can map to its own close signal. */
export type CloseKind = 'normal' | 'going-away' | 'protocol-error'

/** `transport` in `wamp.session.get` / `on_join` details. */
export interface TransportInfo {
  type: 'websocket' | 'rawsocket'
  protocol: string
  /** "tcp:ADDRESS:PORT" or "unix:PATH". */
  peer: string
  /** Whether the transport runs over TLS. */
  tls?: boolean
  http_headers_received?: Record<string, string>
}

/** What a transport tells the one connection that owns it. */
export interface TransportListener {
  /** One whole WAMP message, still encoded. */
  frame(data: Buffer): void
  /** The peer answered a ping (any PONG counts: liveness only needs a sign of life). */
  pong(): void
  /** The transport is gone, for whatever reason; called once. */
  closed(): void
}

/**
 * A message-based transport carrying one WAMP connection (WebSocket, RawSocket over TCP or a Unix
 * socket, either over TLS). The connection above it only sees whole frames: the framing, the
 * handshake and the serializer negotiation happen below. Corkable, so that writes within one
 * event-loop turn go out in one writev (write-batcher.ts).
 */
export interface FrameTransport extends Corkable {
  readonly info: TransportInfo
  /** The largest message the peer accepts (RawSocket announces it; WebSocket: Infinity). */
  readonly maxSendBytes: number
  /** Bytes accepted by send() and not yet handed to the kernel. */
  readonly bufferedAmount: number
  /** Start delivering events to `listener` (once, by the connection that owns the transport). */
  attach(listener: TransportListener): void
  send(data: Buffer | string, binary: boolean): void
  /** Close cleanly: the peer is told why where the transport has a way to say it. */
  close(kind: CloseKind, reason: string): void
  /** Drop the connection now, with nothing more sent. */
  terminate(): void
  /** Stop reading from the peer (backpressure); resume() starts again. */
  pause(): void
  resume(): void
  /** Ask the peer for a PONG (WebSocket ping / RawSocket PING frame). */
  ping(): void
  /**
   * Refuse frames over `bytes` as soon as their length is known, before buffering them
   * (frame-limits.ts: small until the session is established). Where a transport has no way to,
   * the connection's size check before decoding still holds.
   */
  setFrameCap?(bytes: number): void
}
