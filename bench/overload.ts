/**
 * `npm run bench:overload [-- --subscribers 1000 --seconds 10 --rates 100,1000 --queue BYTES]`:
 * pub/sub overload. The router runs in its own process (bench/serve-wampctl.ts), the subscribers
 * (raw WebSockets, JSON) in another (this file, in its subscriber role), the publisher here. For
 * each rate the publisher publishes for `seconds` (events carry their send time), then the
 * deliveries settle; reported: events published and held back (the router stopped reading the
 * publisher: TCP pushback), deliveries expected / delivered / lost, lag p50/p99 at the subscribers,
 * and the router's peak RSS. `--queue` sets the router's maxEventQueueBytes (a huge value
 * approximates the unbounded router). Bounded in time: rates × (seconds + 20 s settle) at most.
 */
import { fileURLToPath } from 'node:url'
import { WebSocket, type RawData } from 'ws'
import { startChild, stopAllChildren } from './children.js'
import type { ParentMessage, RouterMessage } from './child-ipc.js'

const TOPIC = 'com.bench.overload'
const SETTLE_MS = 30_000
/** The publisher does not queue more than this itself: past it, an event is counted as held back. */
const PUBLISHER_BUFFER_BYTES = 1024 * 1024
/** Lag histogram: 1 ms buckets up to 120 s. */
const LAG_BUCKETS = 120_000

interface SubscriberConfig {
  role: 'subscribers'
  url: string
  count: number
}

type ToSubscribers = { type: 'reset' } | { type: 'report' } | { type: 'stop' }
type FromSubscribers = { type: 'ready' } | { type: 'report'; delivered: number; lag: number[] } | { type: 'error'; message: string }

// ── Subscriber role (child process) ──────────────────────────────────────────────────────

async function runSubscribers(cfg: SubscriberConfig): Promise<void> {
  let delivered = 0
  let lag = new Uint32Array(LAG_BUCKETS)
  const sockets: WebSocket[] = []
  const onEvent = (data: RawData): void => {
    const text = data.toString()
    if (!text.startsWith('[36,')) return
    // [36, sub, pub, {}, [seq, sentAtMs]]: read the send time without parsing the whole message.
    const end = text.lastIndexOf(']', text.length - 2)
    const start = text.lastIndexOf(',', end)
    const sentAt = Number(text.slice(start + 1, end))
    delivered++
    lag[Math.min(LAG_BUCKETS - 1, Math.max(0, Date.now() - sentAt))]!++
  }
  for (let i = 0; i < cfg.count; i++) {
    const ws = new WebSocket(cfg.url, ['wamp.2.json'])
    sockets.push(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject)
      ws.on('message', (data: RawData) => {
        const text = data.toString()
        if (text.startsWith('[2,')) ws.send(JSON.stringify([32, 1, {}, TOPIC]))
        else if (text.startsWith('[33,')) resolve()
        else onEvent(data)
      })
      ws.once('open', () => ws.send(JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }])))
    })
  }
  const tell = (m: FromSubscribers): void => {
    process.send?.(m)
  }
  process.on('message', (m: ToSubscribers) => {
    if (m.type === 'reset') {
      delivered = 0
      lag = new Uint32Array(LAG_BUCKETS)
    } else if (m.type === 'report') {
      tell({ type: 'report', delivered, lag: Array.from(lag) })
    } else {
      for (const s of sockets) s.terminate()
      process.exit(0)
    }
  })
  process.on('disconnect', () => process.exit(0))
  tell({ type: 'ready' })
}

// ── Publisher and report (parent) ────────────────────────────────────────────────────────

interface Settings {
  subscribers: number
  seconds: number
  rates: number[]
  queue: number | undefined
}

function parseArgs(argv: string[]): Settings {
  const s: Settings = { subscribers: 1000, seconds: 10, rates: [100, 1000], queue: undefined }
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1]
    if (argv[i] === '--subscribers') s.subscribers = Number(v)
    else if (argv[i] === '--seconds') s.seconds = Number(v)
    else if (argv[i] === '--rates') s.rates = (v ?? '').split(',').map(Number)
    else if (argv[i] === '--queue') s.queue = Number(v)
    else continue
    i++
  }
  if (![s.subscribers, s.seconds, ...s.rates].every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error('usage: overload [--subscribers N] [--seconds S] [--rates R1,R2] [--queue BYTES]')
  }
  return s
}

function percentile(hist: number[], q: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!
    if (seen >= rank) return i
  }
  return hist.length - 1
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2))
  const script = fileURLToPath(import.meta.url)
  const serve = fileURLToPath(new URL('./serve-wampctl.js', import.meta.url))
  const routerOptions = { extensions: true, callStats: true, maxEventQueueBytes: settings.queue }
  const router = startChild<RouterMessage>('router', serve, JSON.stringify(routerOptions), 0)
  const ready = (await router.next((m) => m.type === 'ready', 10_000, 'router ready')) as Extract<RouterMessage, { type: 'ready' }>
  const url = `ws://127.0.0.1:${ready.port}${ready.path}`
  const subs = startChild<FromSubscribers>(
    'subscribers',
    script,
    JSON.stringify({ role: 'subscribers', url, count: settings.subscribers } satisfies SubscriberConfig),
    1,
  )
  await subs.next((m) => m.type === 'ready', 120_000, 'subscribers ready')
  const usage = async (): Promise<Extract<RouterMessage, { type: 'usage' }>> => {
    router.send({ type: 'usage' } satisfies ParentMessage)
    return (await router.next((m) => m.type === 'usage', 60_000, 'router usage')) as Extract<RouterMessage, { type: 'usage' }>
  }
  const rss = async (): Promise<number> => (await usage()).rssBytes
  const report = async (): Promise<{ delivered: number; lag: number[] }> => {
    subs.send({ type: 'report' } satisfies ToSubscribers)
    return (await subs.next((m) => m.type === 'report', 30_000, 'subscriber report')) as { delivered: number; lag: number[] }
  }

  const publisher = new WebSocket(url, ['wamp.2.json'])
  await new Promise<void>((resolve, reject) => {
    publisher.once('error', reject)
    publisher.once('open', () => publisher.send(JSON.stringify([1, 'realm1', { roles: { publisher: {} } }])))
    publisher.once('message', () => resolve())
  })

  console.log(
    `overload bench: ${settings.subscribers} subscribers on one topic, ${settings.seconds} s per rate, router maxEventQueueBytes ${settings.queue ?? 'default'}`,
  )
  console.log(
    'rate/s  published  held back  expected     delivered    dropped     drop %   lag p50   lag p99   router RSS peak  not settled',
  )
  let request = 0
  for (const rate of settings.rates) {
    subs.send({ type: 'reset' } satisfies ToSubscribers)
    const droppedBefore = (await usage()).eventsDropped ?? 0
    let published = 0
    let heldBack = 0
    let peakRss = await rss()
    const started = Date.now()
    const sampler = setInterval(() => {
      rss().then(
        (r) => (peakRss = Math.max(peakRss, r)),
        () => {},
      )
    }, 500)
    for (let elapsed = 0; elapsed < settings.seconds * 1000; elapsed = Date.now() - started) {
      // Paced by the clock, not by the timer: a late tick publishes what it owes.
      for (let owed = Math.floor((rate * elapsed) / 1000) - published - heldBack; owed > 0; owed--) {
        if (publisher.bufferedAmount > PUBLISHER_BUFFER_BYTES) {
          heldBack++
          continue
        }
        publisher.send(JSON.stringify([16, ++request, {}, TOPIC, [published, Date.now()]]))
        published++
      }
      await sleep(10)
    }
    // Settle: until every delivery is accounted for (delivered or dropped by the router), bounded.
    const expected = published * settings.subscribers
    let r = await report()
    let dropped = ((await usage()).eventsDropped ?? 0) - droppedBefore
    const settleEnd = Date.now() + SETTLE_MS
    while (r.delivered + dropped < expected && Date.now() < settleEnd) {
      await sleep(1000)
      r = await report()
      dropped = ((await usage()).eventsDropped ?? 0) - droppedBefore
    }
    clearInterval(sampler)
    peakRss = Math.max(peakRss, await rss())
    const lost = dropped
    const unaccounted = expected - r.delivered - dropped
    const p50 = percentile(r.lag, 0.5)
    const p99 = percentile(r.lag, 0.99)
    console.log(
      `${String(rate).padStart(6)}  ${String(published).padStart(9)}  ${String(heldBack).padStart(9)}  ${String(expected).padStart(11)}  ${String(r.delivered).padStart(11)}  ${String(lost).padStart(10)}  ${((100 * lost) / Math.max(1, expected)).toFixed(2).padStart(6)}  ${`${p50 ?? '-'} ms`.padStart(8)}  ${`${p99 ?? '-'} ms`.padStart(8)}  ${(peakRss / 2 ** 20).toFixed(0).padStart(6)} MiB  ${String(unaccounted).padStart(11)}`,
    )
  }
  publisher.terminate()
  subs.send({ type: 'stop' } satisfies ToSubscribers)
  await stopAllChildren()
}

const arg = process.argv[2]
if (arg !== undefined && arg.startsWith('{')) {
  runSubscribers(JSON.parse(arg) as SubscriberConfig).catch((err: unknown) => {
    process.send?.({ type: 'error', message: String(err) })
    process.exit(1)
  })
} else {
  main().then(
    () => process.exit(0),
    async (err: unknown) => {
      process.stderr.write(`overload: ${err instanceof Error ? err.message : String(err)}\n`)
      await stopAllChildren()
      process.exit(1)
    },
  )
}
