import { Encoder as CborEncoder } from 'cbor-x'
import { Packr } from 'msgpackr'
import { WebSocket, type RawData } from 'ws'
import { encodeFuzz, FUZZ_SERIALIZERS, mutate, Prng, randomMessage, type FuzzSerializer } from './frames.js'

/**
 * Drives a fuzz run against a router at `url`: hostile peers (two per serializer, some joined,
 * some not, reconnecting whenever the router drops them, one of them a callee of com.fuzz.proc)
 * send `frames` generated frames while a bystander calls com.example.alive (served by a well
 * behaved callee) in a loop and times every answer. Bounded in frames and in time.
 */

export interface FuzzOptions {
  url: string
  frames: number
  seed: number
  /** Give up after this long whatever is left, ms. Default 10 minutes. */
  timeLimitMs?: number
  onProgress?: (sent: number) => void
}

export interface FuzzReport {
  framesSent: number
  reconnects: number
  bystanderCalls: number
  /** Bystander calls answered with anything but the RESULT, or not answered within 10 s. */
  bystanderFailures: string[]
  /** Longest time a bystander call waited for its answer, ms. */
  longestStallMs: number
  elapsedMs: number
}

const decoders: Record<FuzzSerializer, (b: Buffer) => unknown> = (() => {
  const packr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'number', mapsAsObjects: true })
  const cbor = new CborEncoder({
    useRecords: false,
    int64AsNumber: true,
    mapsAsObjects: true,
    variableMapSize: true,
  } as ConstructorParameters<typeof CborEncoder>[0])
  return { json: (b) => JSON.parse(b.toString('utf8')), msgpack: (b) => packr.unpack(b), cbor: (b) => cbor.decode(b) }
})()

const PROTOCOL: Record<FuzzSerializer, string> = { json: 'wamp.2.json', msgpack: 'wamp.2.msgpack', cbor: 'wamp.2.cbor' }
const ROLES = { caller: {}, callee: { features: { call_canceling: true, progressive_call_results: true } }, publisher: {}, subscriber: {} }

/** A minimal WAMP peer over ws: send, and a listener per message. */
export class Peer {
  readonly ws: WebSocket
  readonly opened: Promise<void>
  readonly closed: Promise<void>
  private listeners: Array<(m: unknown[]) => void> = []
  private isClosed = false

  constructor(
    url: string,
    readonly ser: FuzzSerializer,
  ) {
    this.ws = new WebSocket(url, [PROTOCOL[ser]], { maxPayload: 256 * 1024 * 1024 })
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.closed = new Promise((resolve) => this.ws.once('close', () => ((this.isClosed = true), resolve())))
    this.ws.on('error', () => {})
    this.ws.on('message', (data: RawData) => {
      let m: unknown
      try {
        m = decoders[ser](data as Buffer)
      } catch {
        return
      }
      if (Array.isArray(m)) for (const l of [...this.listeners]) l(m)
    })
  }

  get open(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN
  }

  on(listener: (m: unknown[]) => void): void {
    this.listeners.push(listener)
  }

  send(message: unknown[]): void {
    this.sendFrame(encodeFuzz(this.ser, message))
  }

  sendFrame(frame: Buffer | string): void {
    if (this.open) this.ws.send(frame, { binary: this.ser !== 'json' })
  }

  /** The first message passing `predicate`, or undefined after `ms` or on close. */
  wait(predicate: (m: unknown[]) => boolean, ms: number): Promise<unknown[] | undefined> {
    return new Promise((resolve) => {
      const done = (m: unknown[] | undefined): void => {
        clearTimeout(timer)
        this.listeners = this.listeners.filter((l) => l !== listener)
        resolve(m)
      }
      const listener = (m: unknown[]): void => {
        if (predicate(m)) done(m)
      }
      const timer = setTimeout(() => done(undefined), ms)
      this.listeners.push(listener)
      void this.closed.then(() => done(undefined))
    })
  }

  async join(): Promise<boolean> {
    this.send([1, 'realm1', { roles: ROLES }])
    const w = await this.wait((m) => m[0] === 2 || m[0] === 3, 10_000)
    return w?.[0] === 2
  }

  terminate(): void {
    this.ws.terminate()
  }
}

/** The well-behaved pair: a callee of com.example.alive and a caller timing every call. */
export async function bystanders(url: string): Promise<{ callee: Peer; caller: Peer }> {
  const callee = new Peer(url, 'msgpack')
  await callee.opened
  if (!(await callee.join())) throw new Error('the bystander callee could not join')
  callee.on((m) => {
    if (m[0] === 68) callee.send([70, m[1], {}, ['alive', ...((m[4] as unknown[] | undefined) ?? [])]])
  })
  callee.send([64, 1, { invoke: 'roundrobin' }, 'com.example.alive'])
  if ((await callee.wait((m) => m[0] === 65 || m[0] === 8, 10_000))?.[0] !== 65) throw new Error('the bystander callee could not register')
  const caller = new Peer(url, 'json')
  await caller.opened
  if (!(await caller.join())) throw new Error('the bystander caller could not join')
  return { callee, caller }
}

async function hostile(url: string, ser: FuzzSerializer, r: Prng, state: { invocation: number | undefined }): Promise<Peer> {
  const p = new Peer(url, ser)
  try {
    await p.opened
  } catch {
    return p
  }
  p.on((m) => {
    if (m[0] === 68 && typeof m[1] === 'number') state.invocation = m[1]
  })
  if (r.chance(0.8) && (await p.join()) && r.chance(0.5)) {
    // A callee the other hostile peers call: its answers (YIELD, ERROR) are fuzzed too.
    p.send([64, 1, { invoke: 'roundrobin' }, 'com.fuzz.proc'])
  }
  return p
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now()
  const deadline = started + (options.timeLimitMs ?? 10 * 60_000)
  const r = new Prng(options.seed)
  const { callee, caller } = await bystanders(options.url)
  const report: FuzzReport = { framesSent: 0, reconnects: 0, bystanderCalls: 0, bystanderFailures: [], longestStallMs: 0, elapsedMs: 0 }

  let running = true
  const bystanderLoop = (async () => {
    let request = 0
    while (running && performance.now() < deadline) {
      const id = ++request
      const t0 = performance.now()
      caller.send([48, id, {}, 'com.example.alive', [id]])
      const reply = await caller.wait((m) => (m[0] === 50 && m[1] === id) || (m[0] === 8 && m[1] === 48 && m[2] === id), 10_000)
      const ms = performance.now() - t0
      report.bystanderCalls++
      report.longestStallMs = Math.max(report.longestStallMs, ms)
      if (reply?.[0] !== 50 || (reply[3] as unknown[])[1] !== id) {
        report.bystanderFailures.push(`call ${id}: ${reply === undefined ? 'no answer within 10 s' : JSON.stringify(reply).slice(0, 200)}`)
        if (!caller.open) break
      }
    }
  })()

  const peers: Array<{ ser: FuzzSerializer; peer: Peer; state: { invocation: number | undefined } }> = []
  for (const ser of FUZZ_SERIALIZERS) {
    for (let i = 0; i < 2; i++) {
      const state = { invocation: undefined }
      peers.push({ ser, peer: await hostile(options.url, ser, r, state), state })
    }
  }
  let request = 1
  while (report.framesSent < options.frames && performance.now() < deadline) {
    const slot = peers[r.int(peers.length)]!
    if (!slot.peer.open) {
      slot.peer.terminate()
      slot.state.invocation = undefined
      slot.peer = await hostile(options.url, slot.ser, r, slot.state)
      report.reconnects++
      continue
    }
    const message = randomMessage(r, slot.ser !== 'json', ++request, slot.state.invocation)
    let frame: Buffer | string
    try {
      frame = encodeFuzz(slot.ser, message)
    } catch {
      continue // a value this serializer cannot write (the fuzzer's own encoder refused it)
    }
    slot.peer.sendFrame(mutate(r, frame))
    report.framesSent++
    if (report.framesSent % 1000 === 0) options.onProgress?.(report.framesSent)
    // Let the router and the bystander run between frames; never let unsent data pile up.
    await new Promise((resolve) => setImmediate(resolve))
    if (slot.peer.ws.bufferedAmount > 1024 * 1024) await slot.peer.wait(() => false, 50)
  }
  running = false
  await bystanderLoop
  for (const p of peers) p.peer.terminate()
  await Promise.all(peers.map((p) => p.peer.closed))
  // One last call: everything the hostile peers left is cleaned up and the bystanders still work.
  caller.send([48, 1e9, {}, 'com.example.alive', ['last']])
  const last = await caller.wait((m) => m[1] === 1e9 || m[2] === 1e9, 10_000)
  if (last?.[0] !== 50) report.bystanderFailures.push(`last call: ${JSON.stringify(last)}`)
  caller.terminate()
  callee.terminate()
  await Promise.all([caller.closed, callee.closed])
  report.elapsedMs = performance.now() - started
  return report
}
