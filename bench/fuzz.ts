/**
 * `npm run fuzz [-- --frames N --seed S]`: the long fuzz run. The router runs in its own process;
 * hostile peers send N generated frames (default 100,000; bench/fuzz/frames.ts) while a bystander
 * keeps calling through it. Reports crashes, internal errors, calls left in flight, the longest
 * stall of the bystander, and the router's peak and final RSS. Exit 1 when anything went wrong.
 * `--cases` first sends the issue's hostile frames one by one and prints what each cost a bystander.
 */
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runFuzz } from './fuzz/driver.js'
import { measureHostileCases } from './fuzz/hostile-cases.js'
import type { ChildMessage } from './fuzz/router-child.js'

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const v = Number(process.argv[i + 1])
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`fuzz: --${name} needs a non-negative integer\n`)
    process.exit(2)
  }
  return v
}

const frames = flag('frames', 100_000)
const seed = flag('seed', 9009)
const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'fuzz', 'router-child.js'), [], {
  execArgv: ['--expose-gc'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
let crashed: string | undefined
child.on('exit', (code, signal) => {
  if (!stopping) crashed = `router process exited (code ${code}, signal ${signal})`
})
let stopping = false
const next = (type: ChildMessage['type']): Promise<ChildMessage> =>
  new Promise((resolve, reject) => {
    const onExit = (): void => reject(new Error(crashed ?? 'router process exited'))
    const onMessage = (m: ChildMessage): void => {
      if (m.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(m)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`
try {
  const ready = (await next('ready')) as Extract<ChildMessage, { type: 'ready' }>
  const stallNow = async (): Promise<number> => {
    const reply = next('stall')
    child.send({ type: 'stall' })
    return ((await reply) as Extract<ChildMessage, { type: 'stall' }>).maxMs
  }
  if (process.argv.includes('--cases')) {
    process.stdout.write(`hostile frames, one at a time, a bystander calling throughout (router pid ${child.pid}):\n`)
    for (const c of await measureHostileCases(ready.url, stallNow)) {
      process.stdout.write(
        `  ${c.name.padEnd(54)} ${c.when.padEnd(13)} ${c.answer.padEnd(32)} router stall ${c.routerStallMs.toFixed(0).padStart(4)} ms, bystander worst ${c.worstBystanderMs.toFixed(0).padStart(4)} ms\n`,
      )
    }
  }
  process.stdout.write(`fuzz: ${frames} frames, seed ${seed}, router ${ready.url} (pid ${child.pid})\n`)
  await stallNow()
  const report = await runFuzz({
    url: ready.url,
    frames,
    seed,
    timeLimitMs: 30 * 60_000,
    onProgress: (n) => {
      if (n % 10_000 === 0) process.stdout.write(`  ${n} frames\n`)
    },
  })
  child.send({ type: 'report' })
  const r = (await next('report')) as Extract<ChildMessage, { type: 'report' }>
  const lines = [
    `frames sent            ${report.framesSent} in ${(report.elapsedMs / 1000).toFixed(1)} s (${report.reconnects} reconnects of dropped peers)`,
    `crashes                ${crashed === undefined ? 0 : 1}${crashed === undefined ? '' : ` (${crashed})`}`,
    `internal errors        ${r.internalErrors.length}${r.internalErrors.length > 0 ? `: ${r.internalErrors[0]!.split('\n')[0]}` : ''}`,
    `calls left in flight   ${r.inflight} (${r.sessions} sessions left)`,
    `bystander              ${report.bystanderCalls} calls, ${report.bystanderFailures.length} failed${report.bystanderFailures.length > 0 ? ` (${report.bystanderFailures[0]})` : ''}`,
    `longest bystander stall ${report.longestStallMs.toFixed(1)} ms (router event loop: longest delay ${(await stallNow()).toFixed(1)} ms)`,
    `router RSS             peak ${mb(r.peakRssBytes)}, final ${mb(r.rssBytes)} (after GC)`,
  ]
  process.stdout.write(lines.map((l) => `  ${l}\n`).join(''))
  stopping = true
  child.send({ type: 'stop' })
  const bad = crashed !== undefined || r.internalErrors.length > 0 || r.inflight > 0 || report.bystanderFailures.length > 0
  process.exitCode = bad ? 1 : 0
} catch (err) {
  process.stderr.write(`fuzz: ${(err as Error).message}\n`)
  stopping = true
  child.kill()
  process.exitCode = 1
}
