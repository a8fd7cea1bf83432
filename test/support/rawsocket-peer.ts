import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import { afterEach } from 'vitest'
import type { SerializerName } from './clients.js'
import { decodeFrom, encodeFor, FULL_ROLES, type Message } from './raw-peer.js'

/**
 * A hand-driven WAMP-over-RawSocket peer with its own framing (not the router's): sends chosen
 * (even malformed) handshakes and frames, collects every frame the router sends. Every socket
 * opened here is destroyed after its test.
 */

export const SERIALIZER_ID: Record<SerializerName, number> = { json: 1, msgpack: 2, cbor: 3 }
const WAIT_MS = 5000
const sockets = new Set<Socket>()

afterEach(() => {
  for (const s of [...sockets]) s.destroy()
  sockets.clear()
})

export interface Frame {
  type: number
  payload: Buffer
}

/** Where to connect: "rs://HOST:PORT", "rss://HOST:PORT" or "unix:/PATH". */
export function openSocket(url: string, tls: ConnectionOptions = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let socket: Socket
    if (url.startsWith('unix:')) socket = netConnect(url.slice(5))
    else {
      const u = new URL(url.replace(/^rss?:/, 'http:'))
      const host = u.hostname.replace(/^\[|\]$/g, '')
      socket = url.startsWith('rss:') ? tlsConnect({ host, port: Number(u.port), ...tls }) : netConnect(Number(u.port), host)
    }
    sockets.add(socket)
    socket.once(url.startsWith('rss:') ? 'secureConnect' : 'connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Send `octets` and read what comes back until the router closes the socket (or 4 octets arrive and `untilClose` is false). */
export function handshakeReply(socket: Socket, octets: number[] | Buffer): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const timer = setTimeout(
      () => reject(new Error(`rawsocket: no close within ${WAIT_MS} ms; got ${Buffer.concat(chunks).toString('hex')}`)),
      WAIT_MS,
    )
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.once('close', () => {
      clearTimeout(timer)
      resolve({ reply: Buffer.concat(chunks), closed: true })
    })
    socket.write(Buffer.from(octets))
  })
}

export function prefix(type: number, length: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(type * 2 ** 24 + length)
  return b
}

export class RawSocketPeer {
  readonly received: Message[] = []
  readonly frames: Frame[] = []
  sessionId = 0
  /** Answer the router's PINGs (false: play a frozen peer). */
  answerPings = true
  /** The router's handshake reply. */
  reply: Buffer = Buffer.alloc(0)
  readonly closed: Promise<void>
  private buffer: Buffer = Buffer.alloc(0)
  private request = 0
  private waiters: Array<{ predicate: (f: Frame) => boolean; resolve: (f: Frame) => void }> = []
  private unread: Frame[] = []
  private handshake: ((b: Buffer) => void) | undefined

  private constructor(
    readonly socket: Socket,
    readonly ser: SerializerName,
  ) {
    socket.on('data', (c: Buffer) => this.onData(c))
    socket.on('error', () => {})
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
  }

  /** Connect and do the handshake, announcing `lengthNibble` (15: 16 MiB) as our maximum. */
  static async open(url: string, ser: SerializerName = 'json', lengthNibble = 15, tls: ConnectionOptions = {}): Promise<RawSocketPeer> {
    const peer = new RawSocketPeer(await openSocket(url, tls), ser)
    const reply = new Promise<Buffer>((resolve, reject) => {
      peer.handshake = resolve
      void peer.closed.then(() => reject(new Error('rawsocket peer: the router closed the connection before its handshake reply')))
    })
    peer.socket.write(Buffer.from([0x7f, (lengthNibble << 4) | SERIALIZER_ID[ser], 0, 0]))
    peer.reply = await withDeadline(reply, 'handshake reply')
    if (peer.reply[0] !== 0x7f || (peer.reply[1]! & 0x0f) !== SERIALIZER_ID[ser])
      throw new Error(`handshake refused: ${peer.reply.toString('hex')}`)
    return peer
  }

  static async joined(
    url: string,
    ser: SerializerName = 'json',
    details: Record<string, unknown> = {},
    realm = 'realm1',
    tls: ConnectionOptions = {},
  ): Promise<RawSocketPeer> {
    const peer = await RawSocketPeer.open(url, ser, 15, tls)
    const welcome = await peer.hello(realm, details)
    if (welcome[0] !== 2) throw new Error(`expected WELCOME, got ${JSON.stringify(welcome)}`)
    return peer
  }

  /** The router's maximum message length from its handshake reply. */
  get routerMaxLength(): number {
    return 2 ** ((this.reply[1]! >> 4) + 9)
  }

  send(message: Message): void {
    this.sendFrame(0, Buffer.from(encodeFor(this.ser, message)))
  }

  sendFrame(type: number, payload: Buffer): void {
    this.socket.write(Buffer.concat([prefix(type, payload.length), payload]))
  }

  nextRequest(): number {
    return ++this.request
  }

  async hello(realm = 'realm1', details: Record<string, unknown> = {}): Promise<Message> {
    this.send([1, realm, { roles: FULL_ROLES, ...details }])
    const reply = await this.next((m) => m[0] === 2 || m[0] === 3 || m[0] === 4, 'WELCOME, ABORT or CHALLENGE')
    if (reply[0] === 2) this.sessionId = reply[1] as number
    return reply
  }

  /** The next WAMP message passing `predicate`. */
  async next(predicate: (m: Message) => boolean = () => true, what = 'a message'): Promise<Message> {
    const f = await this.nextFrame((f) => f.type === 0 && predicate(this.decode(f.payload)), what)
    return this.decode(f.payload)
  }

  /** The next frame of any type passing `predicate` (PONGs, PINGs too). */
  nextFrame(predicate: (f: Frame) => boolean, what = 'a frame'): Promise<Frame> {
    const i = this.unread.findIndex(predicate)
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0]!)
    return withDeadline(
      new Promise((resolve) => this.waiters.push({ predicate, resolve })),
      `${what}; received ${JSON.stringify(this.received).slice(0, 600)}`,
    )
  }

  async call(procedure: string, args?: unknown[]): Promise<Message> {
    const r = this.nextRequest()
    this.send(args === undefined ? [48, r, {}, procedure] : [48, r, {}, procedure, args])
    return this.next((m) => (m[0] === 50 || m[0] === 8) && m[m[0] === 8 ? 2 : 1] === r, `RESULT/ERROR for call ${r}`)
  }

  destroy(): void {
    this.socket.destroy()
  }

  private decode(payload: Buffer): Message {
    return decodeFrom(this.ser, payload) as Message
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    if (this.handshake !== undefined) {
      if (this.buffer.length < 4) return
      const h = this.handshake
      this.handshake = undefined
      h(this.buffer.subarray(0, 4))
      this.buffer = this.buffer.subarray(4)
    }
    while (this.buffer.length >= 4) {
      const head = this.buffer.readUInt32BE(0)
      const length = head & 0xffffff
      if (this.buffer.length < 4 + length) return
      const frame = { type: (head >>> 24) & 0x07, payload: Buffer.from(this.buffer.subarray(4, 4 + length)) }
      this.buffer = this.buffer.subarray(4 + length)
      this.frames.push(frame)
      if (frame.type === 0) this.received.push(this.decode(frame.payload))
      if (frame.type === 1 && this.answerPings) this.sendFrame(2, frame.payload) // answer the router's PING
      const i = this.waiters.findIndex((w) => w.predicate(frame))
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame)
      else this.unread.push(frame)
    }
  }
}

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rawsocket peer: no ${what} within ${WAIT_MS} ms`)), WAIT_MS)
    p.then(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e as Error)
      },
    )
  })
}
