/**
 * The `top` process of bench/tui-scale.ts: the real feed and the real ink `top` (run-top.tsx)
 * drawing to an in-memory terminal of 160 × 48, measured from inside: redraws (ink renders and
 * frames written), CPU (process.cpuUsage over each window) and heap. Talks to its parent in
 * JSON lines on stdout: {"event":"warm"}, {"event":"window",...} per phase, then exits.
 *
 * Usage: node --expose-gc dist/bench/tui-top-probe.js URL AUTHID SECRET WINDOW_MS EXPECTED_REGISTRATIONS
 */
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { WampClient } from '../src/client/connection.js'
import { MetaClient } from '../src/client/meta-client.js'
import { opsActions } from '../src/ui/live/actions.js'
import { LiveFeed } from '../src/ui/live/feed.js'

class FakeTerminal extends Writable {
  readonly isTTY = true
  readonly columns = 160
  readonly rows = 48
  writes = 0
  bytes = 0
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.writes++
    this.bytes += chunk.length
    done()
  }
}

class FakeKeyboard extends EventEmitter {
  readonly isTTY = true
  setRawMode(): this {
    return this
  }
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read(): null {
    return null
  }
}

const send = (o: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(o) + '\n')
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const mb = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10

async function main(): Promise<void> {
  const [url, authid, secret, windowArg, expectedArg, modeArg] = process.argv.slice(2)
  // 'feed': the live feed alone, no ink (to tell the feed's cost from the drawing's)
  const drawing = modeArg !== 'feed'
  const windowMs = Number(windowArg ?? 10_000)
  const expected = Number(expectedArg ?? 1000)
  const client = await WampClient.connect({ url: url!, realm: 'realm1', authid, secret, timeoutMs: 10_000 })
  const meta = new MetaClient(client)
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const feed = await LiveFeed.start(meta, { historyLength: 60 })
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (feed.model.registrations.size >= expected && feed.model.calleeCount >= expected * 10 && feed.model.ticks >= 3) {
        off()
        resolve()
      }
    }
    const off = feed.onChange(check)
    check()
  })
  gc()
  const feedHeap = process.memoryUsage().heapUsed - heapBefore

  // As `wampctl top` does (src/ui/top/launch.ts): React's production build, chosen before react loads.
  process.env.NODE_ENV ??= 'production'
  const { runTop } = await import('../src/ui/top/run-top.js')
  const terminal = new FakeTerminal()
  let renders = 0
  const top = !drawing
    ? undefined
    : runTop({
        source: feed,
        actions: opsActions(() => meta),
        stdout: terminal as unknown as NodeJS.WriteStream,
        stdin: new FakeKeyboard() as unknown as NodeJS.ReadStream,
        onRender: () => renders++,
        alternateScreen: false,
      })
  send({
    event: 'warm',
    mode: drawing ? 'top' : 'feed',
    registrations: feed.model.registrations.size,
    callees: feed.model.calleeCount,
    feed_heap_mb: mb(feedHeap),
  })

  for (const phase of ['steady', 'churn']) {
    // the parent starts or stops its churn when it reads this line
    send({ event: 'phase', name: phase })
    await new Promise((r) => setTimeout(r, 1000))
    const r0 = renders
    const w0 = terminal.writes
    const b0 = terminal.bytes
    const s0 = feed.snapshots
    const t0 = feed.model.ticks
    const e0 = feed.events.lastSeq
    const cpu0 = process.cpuUsage()
    const wall0 = performance.now()
    let maxInSecond = 0
    let lastR = renders
    const perSecond = setInterval(() => {
      maxInSecond = Math.max(maxInSecond, renders - lastR)
      lastR = renders
    }, 1000)
    await new Promise((r) => setTimeout(r, windowMs))
    clearInterval(perSecond)
    const cpu = process.cpuUsage(cpu0)
    const seconds = (performance.now() - wall0) / 1000
    gc()
    send({
      event: 'window',
      phase,
      seconds: Math.round(seconds * 10) / 10,
      renders_per_s: Math.round(((renders - r0) / seconds) * 10) / 10,
      max_renders_in_a_second: maxInSecond,
      frames_per_s: Math.round(((terminal.writes - w0) / seconds) * 10) / 10,
      kb_written_per_s: Math.round((terminal.bytes - b0) / seconds / 102.4) / 10,
      cpu_percent: Math.round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 1000) / 10,
      ticks: feed.model.ticks - t0,
      snapshots: feed.snapshots - s0,
      meta_events_per_s: Math.round((feed.events.lastSeq - e0) / seconds),
      heap_mb: mb(process.memoryUsage().heapUsed),
      rss_mb: mb(process.memoryUsage().rss),
    })
  }
  top?.stop()
  await top?.done
  await feed.stop()
  await client.close()
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    send({ event: 'error', message: (err as Error).message })
    process.exit(1)
  },
)
