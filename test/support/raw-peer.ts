import { Packr } from 'msgpackr'
import { Encoder as CborEncoder } from 'cbor-x'
import { WebSocket, type RawData } from 'ws'
import { afterEach } from 'vitest'
import type { SerializerName } from './clients.js'

/**
 * A hand-driven WAMP peer over `ws`: sends chosen (even malformed) frames and collects every reply,
 * decoded with its own codecs (independent of the router's). For bad-input tests and for checking
 * the exact wire shape of what the router sends. Every peer opened here is terminated after its test.
 */

export const PROTOCOL: Record<SerializerName, string> = {
  json: 'wamp.2.json',
  msgpack: 'wamp.2.msgpack',
  cbor: 'wamp.2.cbor',
}

const packr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'number', mapsAsObjects: true })
const cbor = new CborEncoder({
  useRecords: false,
  int64AsNumber: true,
  mapsAsObjects: true,
  variableMapSize: true,
} as ConstructorParameters<typeof CborEncoder>[0])

export function encodeFor(ser: SerializerName, message: unknown): Buffer | string {
  if (ser === 'json') return JSON.stringify(message)
  if (ser === 'msgpack') return packr.pack(message)
  return cbor.encode(message)
}

export function decodeFrom(ser: SerializerName, data: Buffer): unknown {
  if (ser === 'json') return JSON.parse(data.toString('utf8'))
  if (ser === 'msgpack') return packr.unpack(data)
  return cbor.decode(data)
}

/** HELLO.Details.roles of a raw peer: every client role, callee with progressive results and canceling. */
export const FULL_ROLES = {
  caller: { features: { progressive_call_results: true, call_canceling: true, caller_identification: true } },
  callee: {
    features: { progressive_call_results: true, call_canceling: true, caller_identification: true, registration_revocation: true },
  },
  publisher: { features: { publisher_exclusion: true, publisher_identification: true, subscriber_blackwhite_listing: true } },
  subscriber: { features: { pattern_based_subscription: true, publisher_identification: true } },
}

export type Message = unknown[]
const WAIT_MS = 5000
const peers = new Set<RawPeer>()

afterEach(() => {
  for (const p of [...peers]) p.terminate()
})

export class RawPeer {
  /** Every message received, in order (including those already taken by next()). */
  readonly received: Message[] = []
  /** The frames behind `received`, as they came off the wire. */
  readonly frames: Buffer[] = []
  sessionId = 0
  private readonly unread: Message[] = []
  private readonly handlers: Array<(m: Message) => boolean> = []
  private waiters: Array<{ predicate: (m: Message) => boolean; resolve: (m: Message) => void }> = []
  private request = 0
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(
    readonly ws: WebSocket,
    readonly ser: SerializerName,
  ) {
    peers.add(this)
    ws.on('message', (data: RawData) => this.onMessage(data as Buffer))
    ws.on('error', () => {
      /* the close event follows */
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
    this.closed.then(() => peers.delete(this))
  }

  /** Open a WebSocket offering `protocols` (default: the serializer's WAMP subprotocol). */
  static open(url: string, ser: SerializerName = 'json', protocols: string[] = [PROTOCOL[ser]]): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols)
      const peer = new RawPeer(ws, ser)
      ws.once('open', () => resolve(peer))
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
      ws.once('error', reject)
    })
  }

  /** Open and join `realm`: resolves with the WELCOME. */
  static async joined(
    url: string,
    ser: SerializerName = 'json',
    details: Record<string, unknown> = {},
    realm = 'realm1',
  ): Promise<RawPeer> {
    const peer = await RawPeer.open(url, ser)
    const welcome = await peer.hello(realm, details)
    if (welcome[0] !== 2) throw new Error(`expected WELCOME, got ${JSON.stringify(welcome)}`)
    return peer
  }

  nextRequest(): number {
    return ++this.request
  }

  send(message: Message): void {
    this.ws.send(encodeFor(this.ser, message), { binary: this.ser !== 'json' })
  }

  /** Send bytes as they are, in a text (JSON) or binary frame. */
  sendFrame(data: Buffer | string, binary = this.ser !== 'json'): void {
    this.ws.send(data, { binary })
  }

  /** The first unread message passing `predicate` (it is consumed); fails after a deadline. */
  next(predicate: (m: Message) => boolean = () => true, what = 'a message'): Promise<Message> {
    const i = this.unread.findIndex(predicate)
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0]!)
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (m: Message) => {
          clearTimeout(timer)
          resolve(m)
        },
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new Error(`raw peer: no ${what} within ${WAIT_MS} ms; received ${JSON.stringify(this.received).slice(0, 800)}`))
      }, WAIT_MS)
      this.waiters.push(waiter)
    })
  }

  /** The next message of type `code` (and optionally for request `request` at index `at`). */
  nextOf(code: number, request?: number, at = 1): Promise<Message> {
    return this.next(
      (m) => m[0] === code && (request === undefined || m[at] === request),
      `message ${code}${request === undefined ? '' : ` for request ${request}`}`,
    )
  }

  async hello(realm = 'realm1', details: Record<string, unknown> = {}): Promise<Message> {
    this.send([1, realm, { roles: FULL_ROLES, ...details }])
    const reply = await this.next((m) => m[0] === 2 || m[0] === 3 || m[0] === 4, 'WELCOME, ABORT or CHALLENGE')
    if (reply[0] === 2) this.sessionId = reply[1] as number
    return reply
  }

  /** REGISTER; resolves with REGISTERED or ERROR. */
  async register(procedure: string, options: Record<string, unknown> = {}): Promise<Message> {
    const r = this.nextRequest()
    this.send([64, r, options, procedure])
    return this.next((m) => (m[0] === 65 && m[1] === r) || (m[0] === 8 && m[1] === 64 && m[2] === r), `REGISTERED/ERROR for ${r}`)
  }

  /** CALL; resolves with the final RESULT or the ERROR. */
  async call(
    procedure: string,
    args?: unknown[],
    kwargs?: Record<string, unknown>,
    options: Record<string, unknown> = {},
  ): Promise<Message> {
    const r = this.nextRequest()
    const m: Message = [48, r, options, procedure]
    if (args !== undefined || kwargs !== undefined) m.push(args ?? [])
    if (kwargs !== undefined) m.push(kwargs)
    this.send(m)
    return this.callReply(r)
  }

  callReply(request: number): Promise<Message> {
    return this.next(
      (m) =>
        (m[0] === 50 && m[1] === request && (m[2] as { progress?: boolean }).progress !== true) ||
        (m[0] === 8 && m[1] === 48 && m[2] === request),
      `RESULT/ERROR for call ${request}`,
    )
  }

  /** Answer every INVOCATION with `answer(invocation)` (a YIELD or ERROR message to send), from now on. */
  serve(answer: (invocation: Message) => Message | undefined): void {
    this.handlers.push((m) => {
      if (m[0] !== 68) return false
      const reply = answer(m)
      if (reply !== undefined && this.ws.readyState === WebSocket.OPEN) this.send(reply)
      return true
    })
  }

  terminate(): void {
    peers.delete(this)
    this.ws.terminate()
  }

  private onMessage(data: Buffer): void {
    this.frames.push(data)
    let m: Message
    try {
      m = decodeFrom(this.ser, data) as Message
    } catch {
      m = ['undecodable', data.toString('hex')]
    }
    this.received.push(m)
    if (this.handlers.some((h) => h(m))) return
    const i = this.waiters.findIndex((w) => w.predicate(m))
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m)
    else this.unread.push(m)
  }
}

/** The HTTP answer to an upgrade request that the router refuses: status and body. */
export function refusedUpgrade(url: string, protocols: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols)
    ws.once('open', () => {
      ws.terminate()
      reject(new Error('the router accepted the WebSocket'))
    })
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.once('error', () => {
      /* reported through unexpected-response */
    })
  })
}
