/**
 * `npm run bench:cli`: how fast the CLI answers, side by side with a bare `node -e 0` on the same
 * machine (the floor of any Node CLI). Cases: start-up (`wampctl --version`), one call
 * (`wampctl registrations list` against a local router), and 10,000 registrations (the human
 * table and `--json`). Each case runs --runs times (default 7), interleaved with `node -e 0` so a
 * busy machine slows both alike; the figures are medians of wall-clock time, the ratio is against
 * the median of `node -e 0`. Targets (issue 10): one call ≤ 3× node; 10k human < 1 s; 10k --json
 * < 0.5 s. Exit 0 (1 with --check when a target is missed; 2 on a usage error).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '../src/cli/serve.js'
import { WampClient } from '../src/client/connection.js'
import { num, renderText } from './table.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(ROOT, 'bin', 'run.js')

interface Case {
  name: string
  argv: string[]
  /** Target, as a bound on the median: `ratio` × node -e 0, or absolute ms. */
  target: { ratio: number } | { ms: number } | null
}

function parseArgs(argv: string[]): { runs: number; check: boolean } {
  let runs = 7
  let check = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--check') check = true
    else if (a === '--runs' && /^\d+$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) > 0) runs = Number(argv[++i])
    else {
      process.stderr.write(`cli-speed: unknown argument '${a}' (usage: --runs N, --check)\n`)
      process.exit(2)
    }
  }
  return { runs, check }
}

/**
 * Wall-clock ms of one run (stdout read and dropped, as a pipe would); throws when the command
 * fails (a figure of a failure means nothing). Asynchronous: the routers run in this process.
 */
function timeOnce(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stdout.resume()
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (code === 0) resolve(ms)
      else reject(new Error(`'${argv.join(' ')}' exited ${code}: ${stderr.trim().split('\n')[0]}`))
    })
  })
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** `registrations list` takes one snapshot; where the build still has --sample (two snapshots 1 s apart), ask for one. */
function oneSnapshotFlags(): string[] {
  try {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, { flags: Record<string, unknown> }>
    }
    return 'sample' in (manifest.commands['registrations:list']?.flags ?? {}) ? ['--sample', '0'] : []
  } catch {
    return []
  }
}

async function main(): Promise<void> {
  const { runs, check } = parseArgs(process.argv.slice(2))
  const configDir = mkdtempSync(join(tmpdir(), 'wampctl-cli-speed-'))
  const env: NodeJS.ProcessEnv = { ...process.env, WAMPCTL_CONFIG_DIR: configDir, NO_COLOR: '1' }
  delete env.NODE_ENV
  const small = await serve({ port: 0, realms: ['realm1'], context: false })
  const big = await serve({ port: 0, realms: ['realm1'], context: false })
  const callee = await WampClient.connect({ url: big.router.url, realm: 'realm1' })
  try {
    process.stdout.write(`registering 10,000 procedures on ${big.router.url} …\n`)
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => callee.register(`bench.cli.p${String(i + j).padStart(5, '0')}`, () => 0)))
    }
    const conn = (s: typeof small): string[] => [
      '--url',
      s.router.url,
      '--realm',
      'realm1',
      '--authid',
      s.admin.authid,
      '--secret',
      s.admin.secret,
    ]
    const list = ['registrations', 'list', ...oneSnapshotFlags()]
    const cases: Case[] = [
      { name: 'node -e 0', argv: ['-e', '0'], target: null },
      { name: 'wampctl --version', argv: [BIN, '--version'], target: null },
      { name: 'wampctl registrations list', argv: [BIN, ...list, ...conn(small)], target: { ratio: 3 } },
      { name: 'registrations list, 10k rows', argv: [BIN, ...list, ...conn(big)], target: { ms: 1000 } },
      { name: 'registrations list, 10k rows --json', argv: [BIN, ...list, '--json', ...conn(big)], target: { ms: 500 } },
    ]
    const times = new Map<string, number[]>(cases.map((c) => [c.name, []]))
    for (let r = 0; r < runs; r++) {
      for (const c of cases) times.get(c.name)!.push(await timeOnce(c.argv, env))
      process.stdout.write(`  run ${r + 1}/${runs} done\n`)
    }
    const floor = median(times.get('node -e 0')!)
    let missed = 0
    const rows = cases.map((c) => {
      const m = median(times.get(c.name)!)
      const bound = c.target === null ? null : 'ratio' in c.target ? c.target.ratio * floor : c.target.ms
      const ok = bound === null || m <= bound
      if (!ok) missed++
      const target = c.target === null ? '' : 'ratio' in c.target ? `≤ ${c.target.ratio}× node` : `< ${num(c.target.ms)} ms`
      return [
        c.name,
        num(m),
        num(Math.min(...times.get(c.name)!)),
        `${num(m / floor, 1)}×`,
        target,
        bound === null ? '' : ok ? 'met' : 'MISSED',
      ]
    })
    process.stdout.write(
      `\n${renderText({ headers: ['case', 'median ms', 'best ms', 'vs node -e 0', 'target', ''], rows, right: new Set([1, 2, 3]) })}\n`,
    )
    process.stdout.write(`\n${runs} runs each, interleaved; node ${process.version}\n`)
    if (check && missed > 0) process.exitCode = 1
  } finally {
    await callee.close()
    await small.router.close()
    await big.router.close()
    rmSync(configDir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cli-speed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
