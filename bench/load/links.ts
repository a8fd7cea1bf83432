import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import WebSocket from 'ws'
import type { Codec } from './codec.js'

/**
 * One connection of the load generator to the router, whatever the transport: whole frames in
 * and out. WebSocket (ws://, wss://) through `ws`; RawSocket (rs://, rss://) with the load
 * generator's own framing, independent of the router's. TLS links accept any certificate: the
 * bench's router serves a throwaway self-signed one.
 */
export interface Link {
  readonly socket: Socket
  send(data: Buffer | string, binary: boolean): void
  onFrame(listener: (data: Buffer) => void): void
  onClose(listener: () => void): void
  close(): void
}

const HANDSHAKE_TIMEOUT_MS = 5000
const RAWSOCKET_SERIALIZER: Record<string, number> = { json: 1, msgpack: 2 }

// An all-zero mask lets ws skip masking the payload: a cheaper client, same bytes for every router.
const zeroMask = (mask: Buffer): void => {
  mask.fill(0)
}

export function openLink(url: string, codec: Codec): Promise<Link> {
  if (url.startsWith('rs://') || url.startsWith('rss://')) return openRawSocket(url, codec)
  return openWebSocket(url, codec)
}

function openWebSocket(url: string, codec: Codec): Promise<Link> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [codec.protocol], {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      generateMask: zeroMask,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      rejectUnauthorized: false,
    })
    ws.binaryType = 'nodebuffer'
    ws.once('error', reject)
    ws.once('open', () => {
      ws.off('error', reject)
      ws.on('error', () => {})
      resolve({
        socket: (ws as unknown as { _socket: Socket })._socket,
        send: (data, binary) => ws.send(data, { binary }),
        onFrame: (l) => ws.on('message', (data: Buffer) => l(data)),
        onClose: (l) => ws.on('close', l),
        close: () => ws.terminate(),
      })
    })
  })
}

function openRawSocket(url: string, codec: Codec): Promise<Link> {
  const u = new URL(url.replace(/^rss?:/, 'http:'))
  const secure = url.startsWith('rss:')
  return new Promise((resolve, reject) => {
    const socket = secure
      ? tlsConnect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false })
      : netConnect(Number(u.port), u.hostname)
    socket.setNoDelay(true)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no RawSocket handshake reply from ${url} within ${HANDSHAKE_TIMEOUT_MS} ms`))
    }, HANDSHAKE_TIMEOUT_MS)
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.once(secure ? 'secureConnect' : 'connect', () =>
      socket.write(Buffer.from([0x7f, 0xf0 | RAWSOCKET_SERIALIZER[codec.name]!, 0, 0])),
    )
    let pending: Buffer = Buffer.alloc(0)
    let handshaken = false
    let deliver: (data: Buffer) => void = () => {}
    socket.on('data', (chunk: Buffer) => {
      let data = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      if (!handshaken) {
        if (data.length < 4) return void (pending = data)
        clearTimeout(timer)
        if ((data[1]! & 0x0f) === 0) return reject(new Error(`RawSocket handshake refused: error ${data[1]! >> 4}`))
        handshaken = true
        data = data.subarray(4)
        socket.on('error', () => {})
        resolve({
          socket,
          send: (payload) => {
            const prefix = Buffer.allocUnsafe(4)
            prefix.writeUInt32BE(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length)
            socket.write(prefix)
            socket.write(payload)
          },
          onFrame: (l) => (deliver = l),
          onClose: (l) => socket.on('close', l),
          close: () => socket.destroy(),
        })
      }
      let at = 0
      while (data.length - at >= 4) {
        const head = data.readUInt32BE(at)
        const length = head & 0xffffff
        if (data.length - at - 4 < length) break
        const type = head >>> 24
        const payload = data.subarray(at + 4, at + 4 + length)
        at += 4 + length
        if (type === 0) deliver(payload)
        else if (type === 1) {
          // Answer the router's liveness PING with a PONG echoing it (spec).
          const prefix = Buffer.allocUnsafe(4)
          prefix.writeUInt32BE(0x02000000 + length)
          socket.write(Buffer.concat([prefix, payload]))
        }
      }
      pending = at === data.length ? Buffer.alloc(0) : data.subarray(at)
    })
  })
}
