/**
 * `wampctl top` at scale: 1,000 registrations × 10 callees (10 callee sessions, each registering
 * the same 1,000 roundrobin procedures) under a steady call load, then the same with registration
 * churn (meta events and re-snapshots). The top process (bench/tui-top-probe.ts) measures its
 * redraws/s, CPU % and the feed's memory; this process runs the router, the callees and the load.
 *
 *   npm run build && node dist/bench/tui-scale.js [--registrations 1000] [--callees 10] [--rate 2000] [--window 15000]
 *
 * Bounded: every phase has a deadline; the probe is killed by its PID if it overruns.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { WampClient } from '../src/client/connection.js'
import { serve } from '../src/cli/serve.js'
import { startLoad } from '../src/ops/demo/load.js'

// Cursor and colour escapes (ESC [ ... letter); built from a string so the regex holds no raw control character.
const ANSI_ESCAPE = new RegExp(String.fromCharCode(27) + '\\[[?0-9;]*[a-zA-Z]', 'g')

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const REGISTRATIONS = arg('registrations', 1000)
const CALLEES = arg('callees', 10)
const RATE = arg('rate', 2000)
const WINDOW_MS = arg('window', 15_000)
const CHURN_PER_S = arg('churn', 20)
const DEADLINE_MS = 120_000 + 2 * WINDOW_MS

const here = dirname(fileURLToPath(import.meta.url))
const uri = (i: number): string => `bench.tui.p${String(i).padStart(4, '0')}`
const log = (m: string): void => {
  process.stderr.write(`[tui-scale] ${m}\n`)
}

async function main(): Promise<void> {
  const started = performance.now()
  const { router, admin } = await serve({
    host: '127.0.0.1',
    port: 0,
    realms: ['realm1'],
    context: false,
    logger: { info: () => {}, warn: () => {}, error: log },
  })
  const clients: WampClient[] = []
  let probePid: number | undefined
  const watchdog = setTimeout(() => {
    log(`deadline of ${DEADLINE_MS} ms passed: stopping`)
    if (probePid !== undefined) process.kill(probePid, 'SIGKILL')
    process.exit(2)
  }, DEADLINE_MS)
  try {
    log(`router at ${router.url}; registering ${REGISTRATIONS} procedures × ${CALLEES} callee sessions`)
    for (let c = 0; c < CALLEES; c++) {
      const client = await WampClient.connect({ url: router.url, realm: 'realm1', authid: `callee-${c + 1}`, timeoutMs: 10_000 })
      clients.push(client)
      for (let i = 0; i < REGISTRATIONS; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, REGISTRATIONS - i) }, (_, k) =>
            client.register(uri(i + k), (args) => args[0] ?? null, { invoke: 'roundrobin' }),
          ),
        )
      }
    }
    log(`registered in ${Math.round(performance.now() - started)} ms; load ${RATE} calls/s`)
    const caller = await WampClient.connect({ url: router.url, realm: 'realm1', authid: 'load', timeoutMs: 10_000 })
    clients.push(caller)
    const load = startLoad(caller, {
      rate: RATE,
      maxInflight: 500,
      periodMs: 20,
      mix: Array.from({ length: REGISTRATIONS }, (_, i) => ({ uri: uri(i), weight: 1, args: () => [i] })),
    })
    const churner = await WampClient.connect({ url: router.url, realm: 'realm1', authid: 'churn', timeoutMs: 10_000 })
    clients.push(churner)

    const probe = spawn(
      process.execPath,
      [
        '--expose-gc',
        join(here, 'tui-top-probe.js'),
        router.url,
        admin.authid,
        admin.secret,
        String(WINDOW_MS),
        String(REGISTRATIONS),
        process.env.TUI_PROBE_MODE ?? 'top',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    probePid = probe.pid
    // ink restores the cursor on the probe's stderr when it exits: keep escapes out of the report
    probe.stderr!.on('data', (d: Buffer) => process.stderr.write(d.toString().replace(ANSI_ESCAPE, '')))
    const results: Array<Record<string, unknown>> = []
    let warm: Record<string, unknown> | undefined
    let churning = false
    let churnTimer: NodeJS.Timeout | undefined
    let n = 0
    const churnOnce = async (): Promise<void> => {
      const r = await churner.register(`bench.tui.churn.${n++}`, () => null)
      await r.unregister()
    }
    const exited = new Promise<number | null>((resolve) => probe.on('close', resolve))
    for await (const line of createInterface({ input: probe.stdout! })) {
      const msg = JSON.parse(line) as Record<string, unknown>
      if (msg.event === 'warm') {
        warm = msg
        log(`top is warm: ${JSON.stringify(msg)}`)
      } else if (msg.event === 'phase') {
        churning = msg.name === 'churn'
        if (churning && churnTimer === undefined) churnTimer = setInterval(() => void churnOnce().catch(() => {}), 1000 / CHURN_PER_S)
        log(`phase ${String(msg.name)}`)
      } else if (msg.event === 'window') {
        results.push(msg)
        log(JSON.stringify(msg))
      } else if (msg.event === 'error') {
        throw new Error(`probe: ${String(msg.message)}`)
      }
    }
    if (churnTimer !== undefined) clearInterval(churnTimer)
    const code = await exited
    probePid = undefined
    if (code !== 0) throw new Error(`the probe exited with ${code}`)
    await load.stop(2000)
    report(warm ?? {}, results, load.stats)
  } finally {
    clearTimeout(watchdog)
    if (probePid !== undefined) process.kill(probePid, 'SIGKILL')
    await Promise.all(clients.map((c) => c.close()))
    await router.close()
  }
}

function report(
  warm: Record<string, unknown>,
  windows: Array<Record<string, unknown>>,
  stats: { sent: number; ok: number; failed: number; skipped: number },
): void {
  const rows = windows.map(
    (w) =>
      `| ${String(w.phase)} | ${String(w.renders_per_s)} | ${String(w.max_renders_in_a_second)} | ${String(w.frames_per_s)} | ${String(w.cpu_percent)} % | ${String(w.meta_events_per_s)} | ${String(w.snapshots)} | ${String(w.ticks)} | ${String(w.heap_mb)} MB | ${String(w.rss_mb)} MB |`,
  )
  const out = [
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`,
    `scale: ${String(warm.registrations)} registrations, ${String(warm.callees)} callees; load ${RATE} calls/s (${stats.ok} ok, ${stats.failed} failed, ${stats.skipped} skipped at the in-flight cap); churn phase: ${CHURN_PER_S} register+unregister/s`,
    `feed memory (heap after GC, model with 60 samples of history per callee): ${String(warm.feed_heap_mb)} MB`,
    '',
    '| phase | redraws/s | max redraws in 1 s | terminal writes/s | top CPU | meta events/s | snapshots | ticks | heap | RSS |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ]
  process.stdout.write(out.join('\n') + '\n')
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`)
    process.exit(1)
  },
)
