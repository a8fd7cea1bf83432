import type { Socket } from 'node:net'
import type { Codec } from './codec.js'
import { openLink, type Link } from './links.js'

/** WAMP message codes the load generator speaks (a tiny subset, on purpose). */
export const W = {
  HELLO: 1,
  WELCOME: 2,
  ABORT: 3,
  GOODBYE: 6,
  ERROR: 8,
  PUBLISH: 16,
  PUBLISHED: 17,
  SUBSCRIBE: 32,
  SUBSCRIBED: 33,
  EVENT: 36,
  CALL: 48,
  RESULT: 50,
  REGISTER: 64,
  REGISTERED: 65,
  INVOCATION: 68,
  YIELD: 70,
} as const

const ROLES = { caller: {}, callee: {}, publisher: {}, subscriber: {} }
const HANDSHAKE_TIMEOUT_MS = 5000

// Frames written within one event-loop turn go out in one writev, exactly as the router does
// (write-batcher.ts): without it the load generator, not the router, would be the bottleneck.
const corked: Peer[] = []
let flushScheduled = false
function flushCorked(): void {
  flushScheduled = false
  for (const p of corked.splice(0, corked.length)) {
    p.corked = false
    if (!p.socket.destroyed) p.socket.uncork()
  }
}

/**
 * One raw WAMP session over WebSocket or RawSocket (links.ts): HELLO/WELCOME, then `onMessage` gets every decoded frame.
 * `request` is for set-up only (REGISTER, SUBSCRIBE): one reply awaited with a deadline.
 */
export class Peer {
  corked = false
  readonly socket: Socket
  sessionId = 0
  onMessage: (m: unknown[]) => void = () => {}
  private waiter: { type: number; resolve: (m: unknown[]) => void; reject: (e: Error) => void } | undefined

  private constructor(
    private readonly link: Link,
    readonly codec: Codec,
  ) {
    this.socket = link.socket
    link.onFrame((data) => {
      const m = codec.decode(data)
      if (this.waiter !== undefined) return this.settle(m)
      this.onMessage(m)
    })
    link.onClose(() => this.waiter?.reject(new Error('the router closed the connection')))
  }

  /** ws:// or wss:// (WebSocket), rs:// or rss:// (RawSocket). */
  static async connect(url: string, codec: Codec, realm: string): Promise<Peer> {
    const peer = new Peer(await openLink(url, codec), codec)
    const welcome = await peer.request([W.HELLO, realm, { roles: ROLES }], W.WELCOME)
    peer.sessionId = welcome[1] as number
    return peer
  }

  send(m: unknown[]): void {
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      corked.push(this)
      if (!flushScheduled) {
        flushScheduled = true
        setImmediate(flushCorked)
      }
    }
    this.link.send(this.codec.encode(m), this.codec.binary)
  }

  /** Send `m` and wait for a reply of type `expect` (set-up only; ERROR/ABORT reject). */
  request(m: unknown[], expect: number): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined
        reject(new Error(`no reply of type ${expect} to message type ${String(m[0])} within ${HANDSHAKE_TIMEOUT_MS} ms`))
      }, HANDSHAKE_TIMEOUT_MS)
      this.waiter = {
        type: expect,
        resolve: (r) => {
          clearTimeout(timer)
          resolve(r)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      this.send(m)
    })
  }

  close(): void {
    this.link.close()
  }

  private settle(m: unknown[]): void {
    const w = this.waiter!
    this.waiter = undefined
    if (m[0] === w.type) w.resolve(m)
    else w.reject(new Error(`expected message type ${w.type}, got ${JSON.stringify(m).slice(0, 200)}`))
  }
}
