import type { Socket } from 'node:net'
import {
  RAWSOCKET_MAGIC,
  RawSocketHandshakeError,
  RawSocketSerializer,
  rawSocketLengthNibble,
  rawSocketMaxLength,
} from '../../protocol/rawsocket.js'
import { serializerFor, type Serializer } from '../serializers.js'
import type { TransportInfo } from '../transport.js'
import { RawSocketTransport } from './rawsocket-transport.js'

export interface RawSocketAcceptOptions {
  /** Largest message the router accepts; the handshake announces the largest 2^n not above it. */
  maxMessageSize: number
  /** A client that has not sent its 4 handshake octets by then is dropped (0: never). */
  handshakeTimeoutMs: number
  info: Omit<TransportInfo, 'type' | 'protocol'>
}

const SERIALIZER_BY_ID = new Map<number, Serializer>(
  Object.entries(RawSocketSerializer).map(([name, id]) => [id, serializerFor(`wamp.2.${name}`)!]),
)

/**
 * The router's side of the RawSocket opening handshake (spec, "Handshake"): read the client's
 * 4 octets, answer with ours (our maximum length, the serializer echoed) or with an error reply,
 * then hand over a transport. Not a RawSocket client at all (first octet ≠ 0x7F): the connection
 * is failed without a reply.
 */
export function acceptRawSocket(
  socket: Socket,
  options: RawSocketAcceptOptions,
  ready: (t: RawSocketTransport, s: Serializer) => void,
): void {
  const chunks: Buffer[] = []
  let received = 0
  const timer = options.handshakeTimeoutMs > 0 ? setTimeout(() => socket.destroy(), options.handshakeTimeoutMs).unref() : undefined
  const onError = (): void => {
    /* the socket closes; nothing was established */
  }
  const onClose = (): void => clearTimeout(timer)
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk)
    received += chunk.length
    if (received < 4) return
    socket.off('data', onData)
    socket.off('close', onClose)
    socket.off('error', onError)
    clearTimeout(timer)
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    const request = all.subarray(0, 4)
    if (request[0] !== RAWSOCKET_MAGIC) return void socket.destroy()
    const refuse = (code: number): void => {
      socket.end(Buffer.from([RAWSOCKET_MAGIC, code << 4, 0, 0]))
      setTimeout(() => socket.destroy(), 2000).unref()
    }
    if (request[2] !== 0 || request[3] !== 0) return refuse(RawSocketHandshakeError.reservedBitsUsed)
    const serializer = SERIALIZER_BY_ID.get(request[1]! & 0x0f)
    if (serializer === undefined) return refuse(RawSocketHandshakeError.serializerUnsupported)
    const ours = rawSocketLengthNibble(options.maxMessageSize)
    socket.write(Buffer.from([RAWSOCKET_MAGIC, (ours << 4) | (request[1]! & 0x0f), 0, 0]))
    const info: TransportInfo = { type: 'rawsocket', protocol: serializer.protocol, ...options.info }
    const transport = new RawSocketTransport(socket, info, rawSocketMaxLength(ours), rawSocketMaxLength(request[1]! >> 4), all.subarray(4))
    ready(transport, serializer)
  }
  socket.on('data', onData)
  socket.on('close', onClose)
  socket.on('error', onError)
}
