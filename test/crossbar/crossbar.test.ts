import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { NotFoundError } from '../../src/client/errors.js'
import type { MetaEvent } from '../../src/ops/meta-events.js'
import { META_EVENT_TOPICS } from '../../src/ops/meta-events.js'
import { connFlags, runCli, spawnCli, type CliProcess } from '../support/cli.js'
import { installCrossbar, startCrossbar, type RunningCrossbar } from '../support/crossbar.js'
import { openPeer, type Peer } from '../support/peers.js'

/**
 * The foreign-router paths against a real Crossbar.io 21.3.1 (the router most operators run):
 * only the standard meta API, none of the wampctl extensions, and its departures from the spec
 * (remove_callee removes, then answers runtime_error; null session ids after a session closes).
 * One Crossbar for the file; each test uses its own URIs.
 */

let crossbar: RunningCrossbar
const clients: WampClient[] = []

beforeAll(async () => {
  crossbar = await startCrossbar(await installCrossbar())
}, 400_000)

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await crossbar?.stop()
}, 30_000)

function flags(): string[] {
  return connFlags(crossbar.url)
}

/** Two callees of `uri` (roundrobin: Crossbar shares a registration only with the same policy). */
async function pair(uri: string): Promise<[Peer, Peer]> {
  const a = await openPeer('autobahn', crossbar.url, 'json')
  const b = await openPeer('wampy', crossbar.url, 'msgpack')
  await a.register(uri, () => ({ args: ['a'] }), { invoke: 'roundrobin' })
  await b.register(uri, () => ({ args: ['b'] }), { invoke: 'roundrobin' })
  return [a, b]
}

async function observer(): Promise<WampClient> {
  const c = await WampClient.connect({ url: crossbar.url, realm: 'realm1' })
  clients.push(c)
  return c
}

async function callees(uri: string): Promise<number[]> {
  const o = await observer()
  const id = (await o.call('wamp.registration.lookup', [uri])).args[0] as number | null | undefined
  if (id === null || id === undefined) return []
  return (await o.call('wamp.registration.list_callees', [id])).args[0] as number[]
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines, stderr).toHaveLength(1)
  return lines[0]!
}

const NOTE = /^wampctl: note: the router at ws:\/\/\S+ does not serve the wampctl extensions/

describe('read commands on Crossbar', () => {
  it('registrations list and show: callees from the standard meta API, statistics null, one note', async () => {
    const [a, b] = await pair('com.cb.read')
    const [list, show, human] = await Promise.all([
      runCli(['registrations', 'list', '--json', ...flags()]),
      runCli(['registrations', 'show', 'com.cb.read', '--json', ...flags()]),
      runCli(['registrations', 'show', 'com.cb.read', ...flags()]),
    ])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stderr).toMatch(NOTE)
    const row = (JSON.parse(list.stdout) as Array<Record<string, unknown>>).find((r) => r.uri === 'com.cb.read')
    expect(row).toMatchObject({ uri: 'com.cb.read', match: 'exact', invoke: 'roundrobin', callees: 2, calls_total: null, spread: null })
    expect(show.code, show.stderr).toBe(0)
    const detail = JSON.parse(show.stdout) as { callees: Array<Record<string, unknown>> }
    // Registration order, as Crossbar's list_callees gives it.
    expect(detail.callees.map((c) => c.session)).toEqual([a.id, b.id])
    expect(detail.callees[0]).toMatchObject({ authrole: 'anonymous', calls_total: null, share: null, p99_ms: null })
    expect(human.stdout).toMatch(new RegExp(`^\\s*${a.id}\\s+\\S+\\s+-`, 'm'))
  })

  it('sessions list: every other session with authid and role', async () => {
    const [a, b] = await pair('com.cb.sessions')
    const r = await runCli(['sessions', 'list', '--json', ...flags()])
    expect(r.code, r.stderr).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{ session: number; authrole: string | null; authid: string | null }>
    for (const id of [a.id, b.id]) expect(rows.find((s) => s.session === id)).toMatchObject({ authrole: 'anonymous' })
  })

  it('cluster status says in one line that this router cannot tell (exit 1), human and --json', async () => {
    const [human, json] = await Promise.all([
      runCli(['cluster', 'status', ...flags()]),
      runCli(['cluster', 'status', '--json', ...flags()]),
    ])
    expect(human.code).toBe(1)
    expect(human.stdout).toBe('')
    expect(oneLine(human.stderr)).toMatch(
      /^wampctl: the router at ws:\/\/\S+ cannot tell its cluster status: it does not serve wampctl\.cluster\.status/,
    )
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'WAMPCTL_UNSUPPORTED', exit: 1 } })
  })

  it('top --json polls the standard meta API: lines with the registration and its callees, mode polling', async () => {
    const [a, b] = await pair('com.cb.top')
    const r = await runCli(['top', '--json', '--count', '2', '--interval', '200ms', ...flags()], { timeoutMs: 30_000 })
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { mode: string; registrations: Array<{ uri: string; callees: Array<{ session: number }> }> })
    expect(lines).toHaveLength(2)
    for (const line of lines) {
      expect(line.mode).toBe('polling')
      const reg = line.registrations.find((x) => x.uri === 'com.cb.top')
      expect(reg?.callees.map((c) => c.session)).toEqual([a.id, b.id])
    }
  })
})

/**
 * `wampctl events --json` on Crossbar, once it has subscribed to its last topic: a probe
 * subscribes and unsubscribes until the tail prints that subscription's delete (bounded).
 */
async function tail(args: string[]): Promise<CliProcess> {
  const o = await observer()
  const cli = spawnCli(['events', '--json', ...args, ...flags()], { timeoutMs: 60_000 })
  expect(META_EVENT_TOPICS.filter((t) => t.startsWith('wamp.')).at(-1)).toBe('wamp.subscription.on_delete') // the last one Crossbar serves
  const deadline = Date.now() + 30_000
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const unsubscribe = await o.subscribe(`com.cb.probe.${i}`, () => {})
    await unsubscribe()
    try {
      await cli.waitFor((out) => out.includes(`"uri":"com.cb.probe.${i}"`) && out.includes('"kind":"sub-delete"'), 300)
      return cli
    } catch {
      /* not subscribed yet: probe again */
    }
  }
  throw new Error(`events did not subscribe in time; stderr: ${cli.stderr}`)
}

describe('events on Crossbar', () => {
  it('a killed callee shows leave, then unregister and delete naming it (Crossbar sends null ids), and its authid', async () => {
    const a = await openPeer('autobahn', crossbar.url, 'json')
    await a.register('com.cb.events', () => ({ args: ['a'] }))
    const authid = ((await (await observer()).call('wamp.session.get', [a.id])).args[0] as { authid: string }).authid
    const cli = await tail([])
    const kill = await runCli(['sessions', 'kill', String(a.id), '--yes', '--force', ...flags()])
    expect(kill.code, kill.stderr).toBe(0)
    await cli.waitFor((out) => out.includes('"kind":"reg-delete"'), 20_000)
    cli.signal('SIGINT')
    expect((await cli.done).code).toBe(0)
    const events = cli.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MetaEvent)
      .filter((e) => e.session === a.id || e.registration !== undefined)
    const about = events.filter((e) => e.kind !== 'join')
    expect(about.map((e) => e.kind)).toEqual(['leave', 'unregister', 'reg-delete'])
    expect(about[0]).toMatchObject({ session: a.id, authid, authrole: 'anonymous' })
    expect(about[1]).toMatchObject({ session: a.id, session_inferred: true, authid, uri: 'com.cb.events' })
    expect(about[2]).toMatchObject({ session: a.id, session_inferred: true, uri: 'com.cb.events' })
  }, 60_000)
})

describe('mutations on Crossbar', () => {
  it('evict: Crossbar removes the callee, then answers runtime_error; wampctl checks list_callees and reports it done, the error as a note', async () => {
    const [a, b] = await pair('com.cb.evict')
    const r = await runCli(['evict', String(a.id), '--yes', '--json', ...flags()])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as { registrations: Array<Record<string, unknown>>; notes: string[] }
    expect(report.registrations).toEqual([
      {
        id: expect.any(Number),
        uri: 'com.cb.evict',
        outcome: 'revoked',
        router_error: expect.stringMatching(/^wamp\.error\.runtime_error/),
      },
    ])
    expect(report.notes).toEqual([expect.stringContaining('but list_callees shows the callee removed')])
    expect(await callees('com.cb.evict')).toEqual([b.id])

    const human = await runCli(['evict', String(b.id), '--yes', '--force', ...flags()])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/com\.cb\.evict\s+revoked/)
    expect(human.stdout).toMatch(
      /^note: com\.cb\.evict: the router answered wamp\.error\.runtime_error .*but list_callees shows the callee removed$/m,
    )
    expect(await callees('com.cb.evict')).toEqual([])
  })

  it('evict refuses the last callee (exit 4) and its dry run exits 4 too; nothing is removed', async () => {
    const a = await openPeer('autobahn', crossbar.url, 'json')
    await a.register('com.cb.single', () => ({ args: ['a'] }))
    const [real, dry] = await Promise.all([
      runCli(['evict', String(a.id), '--yes', ...flags()]),
      runCli(['evict', String(a.id), '--dry-run', ...flags()]),
    ])
    expect(real.code).toBe(4)
    expect(real.stderr).toMatch(/refusing to evict session \d+: it is the last active callee of com\.cb\.single/)
    expect(dry.code).toBe(4)
    expect(dry.stdout).toContain('dry run, nothing changed: would be REFUSED (exit 4) without --force')
    expect(await callees('com.cb.single')).toEqual([a.id])
  })

  it('sessions kill closes the session (checked with session.get); --dry-run kills nobody', async () => {
    const [a, b] = await pair('com.cb.kill')
    const dry = await runCli(['sessions', 'kill', String(a.id), '--dry-run', ...flags()])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain(`dry run, nothing changed: would kill session ${a.id}`)
    expect(await callees('com.cb.kill')).toEqual([a.id, b.id])
    const r = await runCli(['sessions', 'kill', String(a.id), '--yes', '--json', ...flags()])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ session: a.id, killed: true, registrations: ['com.cb.kill'], notes: [] })
    await expect((await observer()).call('wamp.session.get', [a.id])).rejects.toBeInstanceOf(NotFoundError)
    expect(await callees('com.cb.kill')).toEqual([b.id])
  })

  it('cordon, uncordon, drain and rollout canary say plainly that this router cannot (exit 1), changing nothing', async () => {
    const [a, b] = await pair('com.cb.refuse')
    const runs = await Promise.all([
      runCli(['cordon', String(a.id), ...flags()]),
      runCli(['uncordon', String(a.id), ...flags()]),
      runCli(['drain', String(a.id), '--yes', ...flags()]),
      runCli(['rollout', 'canary', 'com.cb.refuse', '--canary', String(b.id), '--yes', ...flags()]),
    ])
    for (const [i, verb] of ['cordon', 'uncordon', 'drain'].entries()) {
      expect(runs[i]!.code, runs[i]!.stderr).toBe(1)
      expect(oneLine(runs[i]!.stderr)).toContain(`cannot ${verb} callees: it does not serve the wampctl operations extensions`)
    }
    const canary = runs[3]!
    expect(canary.code).toBe(1)
    expect(canary.stderr).toMatch(/wampctl operations extensions|does not serve the wampctl|cannot run rollouts/)
    expect(canary.stderr).not.toMatch(/\n\s+at /)
    expect(await callees('com.cb.refuse')).toEqual([a.id, b.id])
  })
})
