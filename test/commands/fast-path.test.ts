import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readFlagsFast } from '../../src/cli/fast-argv.js'
import { registrationsListFlags } from '../../src/cli/fast/registrations-list.js'
import { connFlags, runCli, spawnCli, tempConfigDir, type CliResult } from '../support/cli.js'
import { openPeer } from '../support/peers.js'
import { deadUrl, readRouter } from './read-fixtures.js'

const PRELOAD = fileURLToPath(new URL('../fixtures/loaded-packages.mjs', import.meta.url))

/** One CLI run, and whether it loaded @oclif/core (the fast path does not). */
async function run(args: string[], env: Record<string, string> = {}): Promise<CliResult & { oclif: boolean }> {
  const out = join(tempConfigDir(), 'packages')
  const r = await runCli(args, { env: { ...env, NODE_OPTIONS: `--import ${PRELOAD}`, LOADED_PACKAGES_OUT: out } })
  return { ...r, oclif: readFileSync(out, 'utf8').split('\n').includes('@oclif/core') }
}

/** The recent window is as long as the router has run, up to its full length: the one figure that differs between two runs. */
function timeless(stdout: string): string {
  return stdout.replace(/"window_ms": ?\d+/g, '"window_ms": N')
}

/**
 * `registrations list` through the fast path (no oclif) and `registrations:list` (the same
 * command by its colon id, which the fast path leaves to oclif): the same answer, byte for byte.
 */
async function bothWays(args: string[], env: Record<string, string> = {}): Promise<{ fast: CliResult; oclif: CliResult }> {
  const [fast, slow] = await Promise.all([run(['registrations', 'list', ...args], env), run(['registrations:list', ...args], env)])
  expect(slow.oclif).toBe(true)
  expect({ code: fast.code, stdout: timeless(fast.stdout), stderr: fast.stderr }, args.join(' ')).toEqual({
    code: slow.code,
    stdout: timeless(slow.stdout),
    stderr: slow.stderr,
  })
  return { fast, oclif: slow }
}

describe('the start-up fast path: registrations list without loading oclif', () => {
  it('answers as the oclif command does: the table, --json, filters, --watch, connection from the environment, and errors', async () => {
    const router = await readRouter()
    const callee = await openPeer('wampy', router.url, 'json')
    await callee.register('com.example.add', () => ({ args: [0] }))
    await callee.register('com.example', () => ({ args: [0] }), { match: 'prefix' })
    const flags = connFlags(router.url)

    const table = await bothWays(flags)
    expect(table.fast.code, table.fast.stderr).toBe(0)
    expect(table.fast.stdout).toMatch(/com\.example\.add/)
    expect((await run(['registrations', 'list', ...flags])).oclif).toBe(false)

    const json = await bothWays(['--json', ...flags])
    expect((JSON.parse(json.fast.stdout) as Array<{ uri: string }>).map((r) => r.uri).sort()).toEqual(['com.example', 'com.example.add'])

    const exact = await bothWays(['--filter', 'com.example', '--match=exact', '--sample', '0', ...flags])
    expect(exact.fast.stdout).toMatch(/com\.example\.add/)
    expect(exact.fast.stdout).not.toMatch(/prefix/)
    await bothWays(['-w', '--count', '1', '--sample', '100ms', '--json', ...flags])

    // connection from the environment, as oclif reads it
    const fromEnv = await bothWays(['--json'], { WAMPCTL_URL: router.url, WAMPCTL_REALM: 'realm1' })
    expect(fromEnv.fast.code, fromEnv.fast.stderr).toBe(0)

    // a reader that goes away before the output (`| head -1`): exit 0, no trace, from either
    for (const id of [['registrations', 'list'], ['registrations:list']]) {
      for (const json of [[], ['--json']]) {
        const gone = spawnCli([...id, ...json, ...flags])
        gone.closeStdout()
        const r = await gone.done
        expect({ code: r.code, stderr: r.stderr }, `${id.join(' ')} ${json.join(' ')}`).toEqual({ code: 0, stderr: '' })
      }
    }

    // a failure: one wampctl line (or one JSON error) and exit 1, from either
    const dead = await deadUrl()
    const down = await bothWays(['--url', dead])
    expect(down.fast.code).toBe(1)
    expect(down.fast.stderr).toMatch(/^wampctl: could not reach a WAMP router at /)
    const downJson = await bothWays(['--url', dead, '--json'])
    expect(JSON.parse(downJson.fast.stdout)).toMatchObject({ error: { code: 'WAMPCTL_CONNECT', exit: 1 } })
  }, 120_000) // 19 CLI runs: a bound for a loaded machine

  it('leaves to oclif what it does not plainly read: help, an unknown or repeated flag, a refused value, --count without --watch', async () => {
    const router = await readRouter()
    const flags = connFlags(router.url)
    const cases: Array<{ args: string[]; code: number }> = [
      { args: ['--help'], code: 0 },
      { args: ['--bogus', ...flags], code: 2 },
      { args: ['--match', 'nope', ...flags], code: 2 },
      { args: ['--sample', '5x', ...flags], code: 2 },
      { args: ['--count', '3', ...flags], code: 2 },
      { args: ['--filter', 'a', '--filter', 'b', ...flags], code: 2 },
      { args: ['extra', ...flags], code: 2 },
    ]
    for (const c of cases) {
      const r = await run(['registrations', 'list', ...c.args])
      expect(r.code, `${c.args.join(' ')}: ${r.stderr}`).toBe(c.code)
      expect(r.oclif, c.args.join(' ')).toBe(true)
      if (c.code === 2) expect(r.stderr).toMatch(/^wampctl: [^\n]+\n$/)
    }
    // --version and other commands are oclif's too
    const version = await run(['--version'])
    expect(version.code).toBe(0)
    expect(version.oclif).toBe(true)
  }, 120_000)
})

describe('readFlagsFast', () => {
  const specs = { ...registrationsListFlags, json: { kind: 'boolean', description: 'json' } } as const
  it('reads the plain forms, the environment and the defaults', () => {
    expect(readFlagsFast(specs, ['--filter', 'a.', '--match=prefix', '-w', '--count', '2', '--sample', '2s', '--json'], {})).toEqual({
      filter: 'a.',
      match: 'prefix',
      watch: true,
      count: 2,
      sample: 2000,
      json: true,
    })
    expect(readFlagsFast({ url: { kind: 'string', description: 'u', env: 'U' } }, [], { U: 'ws://x/ws' })).toEqual({ url: 'ws://x/ws' })
    expect(readFlagsFast(specs, [], {})).toEqual({
      filter: undefined,
      match: undefined,
      watch: false,
      count: undefined,
      sample: 1000,
      json: false,
    })
  })
  it('gives null for anything it does not plainly read', () => {
    for (const argv of [
      ['--'],
      ['-h'],
      ['--watch=true'],
      ['-wj'],
      ['--filter'],
      ['--filter', '--json'],
      ['--filter', '-x'],
      ['--count', '0', '-w'],
      ['--count', '1.5', '-w'],
      ['--sample', '0s5'],
      ['positional'],
    ]) {
      expect(readFlagsFast(specs, argv, {}), argv.join(' ')).toBeNull()
    }
  })
})
