/**
 * `npm run soak [-- --minutes 10]`: churn soak. The router runs in its own process
 * (bench/serve-wampctl.ts). For `minutes`, callees join, register one shared roundrobin procedure,
 * get called, and vanish without GOODBYE: in-process sessions whose socket is destroyed, and
 * callee processes killed with SIGKILL; new ones keep joining. Callers call all along and count
 * every answer (ok, or the error URI). Every 10 s: router RSS, sessions and callees (meta API).
 * At the end every callee is gone the same way and the callers leave with GOODBYE: what the meta API
 * still shows (sessions besides the observer, registrations, callees, calls in flight) is left behind.
 * Exit 0 when nothing is left behind and every call was answered; 1 otherwise.
 */
import { fileURLToPath } from 'node:url'
import { WebSocket, type RawData } from 'ws'
import { startChild, stopAllChildren, type BenchChild } from './children.js'
import type { ParentMessage, RouterMessage } from './child-ipc.js'

const PROCEDURE = 'com.soak.work'
const SAMPLE_MS = 10_000
const CALLERS = 4
const CALLS_IN_FLIGHT = 8
/** Callees alive at once: half in this process, half in their own processes. */
const LOCAL_CALLEES = 12
const PROCESS_CALLEES = 4
/** One churn step (a callee vanishes, a new one joins) this often. */
const CHURN_MS = 250

type Json = unknown[]

/** A minimal JSON WAMP peer over `ws`: enough to call, register, answer and vanish. */
class Peer {
  sessionId = 0
  private request = 0
  private readonly pending = new Map<number, (m: Json) => void>()
  private handler: ((m: Json) => void) | undefined

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => this.onMessage(JSON.parse(data.toString()) as Json))
    ws.on('error', () => {})
    ws.on('close', () => {
      for (const [, resolve] of this.pending) resolve([8, 0, 0, {}, 'soak.closed'])
      this.pending.clear()
    })
  }

  static async join(url: string): Promise<Peer> {
    const ws = new WebSocket(url, ['wamp.2.json'])
    const peer = new Peer(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject)
      ws.once('open', () => {
        ws.send(JSON.stringify([1, 'realm1', { roles: { caller: {}, callee: { features: { call_canceling: true } } } }]))
      })
      peer.handler = (m) => {
        if (m[0] === 2) {
          peer.sessionId = m[1] as number
          peer.handler = undefined
          resolve()
        } else reject(new Error(`join: ${JSON.stringify(m)}`))
      }
    })
    return peer
  }

  /** Resolves with the reply (RESULT, REGISTERED or ERROR). */
  ask(message: (id: number) => Json): Promise<Json> {
    const id = ++this.request
    return new Promise((resolve) => {
      if (this.ws.readyState !== WebSocket.OPEN) return resolve([8, 0, id, {}, 'soak.closed'])
      this.pending.set(id, resolve)
      this.ws.send(JSON.stringify(message(id)))
    })
  }

  call(procedure: string, args: unknown[]): Promise<Json> {
    return this.ask((id) => [48, id, {}, procedure, args])
  }

  /** Register `procedure` (shared, roundrobin) and answer every INVOCATION with its arguments. */
  async serve(procedure: string): Promise<void> {
    this.handler = (m) => {
      if (m[0] === 68) setTimeout(() => this.send([70, m[1], {}, m[4] ?? []]), 1 + ((m[1] as number) % 5))
    }
    const reply = await this.ask((id) => [64, id, { invoke: 'roundrobin' }, procedure])
    if (reply[0] !== 65) throw new Error(`register: ${JSON.stringify(reply)}`)
  }

  send(m: Json): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m))
  }

  /** Vanish without GOODBYE: the socket is destroyed. */
  destroy(): void {
    this.ws.terminate()
  }

  async leave(): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return
    const closed = new Promise((r) => this.ws.once('close', r))
    this.send([6, {}, 'wamp.close.normal'])
    setTimeout(() => this.ws.terminate(), 2000).unref()
    await closed
  }

  private onMessage(m: Json): void {
    // RESULT, REGISTERED and ERROR carry the request id at 1, 1 and 2.
    const id = (m[0] === 8 ? m[2] : m[1]) as number
    if ((m[0] === 50 || m[0] === 65 || m[0] === 8) && this.pending.has(id)) {
      const resolve = this.pending.get(id)!
      this.pending.delete(id)
      return resolve(m)
    }
    this.handler?.(m)
  }
}

// ── Callee process role ──────────────────────────────────────────────────────────────────

async function runCalleeProcess(url: string): Promise<void> {
  const peer = await Peer.join(url)
  await peer.serve(PROCEDURE)
  process.send?.({ type: 'ready', session: peer.sessionId })
  process.on('disconnect', () => process.exit(0))
}

// ── Parent ───────────────────────────────────────────────────────────────────────────────

function parseMinutes(argv: string[]): number {
  const i = argv.indexOf('--minutes')
  const minutes = i < 0 ? 10 : Number(argv[i + 1])
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('usage: soak [--minutes N] (default 10)')
  return minutes
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!

async function main(): Promise<number> {
  const minutes = parseMinutes(process.argv.slice(2))
  const script = fileURLToPath(import.meta.url)
  const serve = fileURLToPath(new URL('./serve-wampctl.js', import.meta.url))
  const router = startChild<RouterMessage>('router', serve, JSON.stringify({ extensions: true, callStats: true }), undefined)
  const ready = (await router.next((m) => m.type === 'ready', 10_000, 'router ready')) as Extract<RouterMessage, { type: 'ready' }>
  const url = `ws://127.0.0.1:${ready.port}${ready.path}`
  const rss = async (): Promise<number> => {
    router.send({ type: 'usage' } satisfies ParentMessage)
    const u = (await router.next((m) => m.type === 'usage', 10_000, 'router usage')) as Extract<RouterMessage, { type: 'usage' }>
    return u.rssBytes
  }
  const observer = await Peer.join(url)
  const meta = async (procedure: string, args: unknown[] = []): Promise<unknown> => {
    const r = await observer.call(procedure, args)
    if (r[0] !== 50) throw new Error(`${procedure}: ${JSON.stringify(r)}`)
    return (r[3] as unknown[])[0]
  }
  const counts = async (): Promise<{ sessions: number; registrations: number; callees: number; inflight: number }> => {
    const snap = (await meta('wampctl.registration.snapshot')) as { registrations: Array<{ callees: Array<{ inflight: number }> }> }
    const callees = snap.registrations.flatMap((r) => r.callees)
    return {
      sessions: (await meta('wamp.session.count')) as number,
      registrations: snap.registrations.length,
      callees: callees.length,
      inflight: callees.reduce((n, c) => n + c.inflight, 0),
    }
  }

  const local: Peer[] = []
  const processes: BenchChild<{ type: string }>[] = []
  const joinLocal = async (): Promise<void> => {
    const p = await Peer.join(url)
    await p.serve(PROCEDURE)
    local.push(p)
  }
  const joinProcess = async (): Promise<void> => {
    const child = startChild<{ type: string }>('callee', script, JSON.stringify({ role: 'callee', url }), undefined)
    await child.next((m) => m.type === 'ready', 30_000, 'callee process ready')
    processes.push(child)
  }
  for (let i = 0; i < LOCAL_CALLEES; i++) await joinLocal()
  for (let i = 0; i < PROCESS_CALLEES; i++) await joinProcess()

  const answers = new Map<string, number>()
  let unanswered = 0
  let stopCalling = false
  const callers = await Promise.all(Array.from({ length: CALLERS }, () => Peer.join(url)))
  const callLoops = callers.flatMap((caller) =>
    Array.from({ length: CALLS_IN_FLIGHT }, async () => {
      for (let n = 0; !stopCalling; n++) {
        unanswered++
        const r = await caller.call(PROCEDURE, [n])
        unanswered--
        const key = r[0] === 50 ? 'ok' : String(r[4])
        answers.set(key, (answers.get(key) ?? 0) + 1)
        if (r[0] !== 50) await sleep(5) // no callee for a moment: do not spin
      }
    }),
  )

  let vanished = { destroyed: 0, killed: 0 }
  const churn = async (): Promise<void> => {
    if (Math.random() < 0.75 || processes.length === 0) {
      const victim = pick(local)
      local.splice(local.indexOf(victim), 1)
      victim.destroy()
      vanished.destroyed++
      await joinLocal()
    } else {
      const victim = pick(processes)
      processes.splice(processes.indexOf(victim), 1)
      process.kill(victim.pid, 'SIGKILL')
      await victim.exited
      vanished.killed++
      await joinProcess()
    }
  }

  console.log(
    `churn soak: ${minutes} min; ${LOCAL_CALLEES} in-process + ${PROCESS_CALLEES} process callees, ${CALLERS}×${CALLS_IN_FLIGHT} calls in flight`,
  )
  console.log(
    '   time  router RSS  sessions  callees  in flight  calls ok    errors (by URI)                       vanished (destroyed/killed)',
  )
  const started = Date.now()
  const sample = async (): Promise<void> => {
    const c = await counts()
    const ok = answers.get('ok') ?? 0
    const errors = [...answers].filter(([k]) => k !== 'ok').map(([k, v]) => `${k.replace(/^wamp\.error\./, '')} ${v}`)
    console.log(
      `${`${Math.round((Date.now() - started) / 1000)} s`.padStart(7)}  ${`${((await rss()) / 2 ** 20).toFixed(0)} MiB`.padStart(10)}  ${String(c.sessions).padStart(8)}  ${String(c.callees).padStart(7)}  ${String(c.inflight).padStart(9)}  ${String(ok).padStart(9)}    ${(errors.join(', ') || '-').padEnd(36)}  ${vanished.destroyed}/${vanished.killed}`,
    )
  }
  await sample()
  let nextSample = started + SAMPLE_MS
  while (Date.now() - started < minutes * 60_000) {
    await churn()
    await sleep(CHURN_MS)
    if (Date.now() >= nextSample) {
      nextSample += SAMPLE_MS
      await sample()
    }
  }

  // The end: callers stop and leave with GOODBYE; every callee vanishes without one.
  stopCalling = true
  await Promise.all(callLoops)
  await Promise.all(callers.map((c) => c.leave()))
  for (const p of local.splice(0)) p.destroy()
  for (const child of processes.splice(0)) {
    process.kill(child.pid, 'SIGKILL')
    await child.exited
  }
  vanished = { destroyed: vanished.destroyed + LOCAL_CALLEES, killed: vanished.killed + PROCESS_CALLEES }
  // Let the router see the last sockets close (bounded), then look at what is left.
  let left = await counts()
  for (let i = 0; i < 50 && (left.sessions > 1 || left.registrations > 0); i++) {
    await sleep(100)
    left = await counts()
  }
  await sample()
  console.log(
    `left behind: sessions ${left.sessions - 1} (besides the observer), registrations ${left.registrations}, callees ${left.callees}, calls in flight ${left.inflight}; calls unanswered ${unanswered}`,
  )
  await observer.leave()
  await stopAllChildren()
  return left.sessions === 1 && left.registrations === 0 && left.callees === 0 && left.inflight === 0 && unanswered === 0 ? 0 : 1
}

const arg = process.argv[2]
if (arg !== undefined && arg.startsWith('{')) {
  runCalleeProcess((JSON.parse(arg) as { url: string }).url).catch(() => process.exit(1))
} else {
  main().then(
    (code) => process.exit(code),
    async (err: unknown) => {
      process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`)
      await stopAllChildren()
      process.exit(1)
    },
  )
}
