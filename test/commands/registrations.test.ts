import { describe, expect, it } from 'vitest'
import { connFlags, runCli, spawnCli } from '../support/cli.js'
import { HeldCallee } from '../support/held-callee.js'
import { openPeer, WampFailure } from '../support/peers.js'
import { oneErrorLine, readRouter, rowOf, tableRows, wampctlClient } from './read-fixtures.js'

const LIST_KEYS = [
  'id',
  'uri',
  'match',
  'invoke',
  'created',
  'callees',
  'taking_calls',
  'calls_per_s',
  'inflight',
  'queued',
  'errors',
  'spread',
  'window_ms',
  'calls_total',
  'errors_total',
].sort()
const CALLEE_KEYS = [
  'session',
  'authid',
  'authrole',
  'state',
  'weight',
  'calls_per_s',
  'share',
  'inflight',
  'errors',
  'p50_ms',
  'p99_ms',
  'calls_total',
  'errors_total',
].sort()
/** A rate over the recent window: positive, one decimal. */
const RATE = /^\d+\.\d$/

/**
 * com.example.add (roundrobin) served by an autobahn (json), a wampy (msgpack) and an autobahn (cbor)
 * callee, called 4 times: 2/1/1. com.example (prefix) by wampy, never called. com.example.fail
 * (wampy) fails once.
 */
async function setup(extensions = true) {
  const router = await readRouter(extensions)
  const a = await openPeer('autobahn', router.url, 'json', { authid: 'worker-a' })
  const b = await openPeer('wampy', router.url, 'msgpack')
  const c = await openPeer('autobahn', router.url, 'cbor', { authid: 'worker-c' })
  const add = (inv: { args: unknown[] }) => ({ args: [(inv.args[0] as number) + (inv.args[1] as number)] })
  const addId = await a.register('com.example.add', add, { invoke: 'roundrobin' })
  await b.register('com.example.add', add, { invoke: 'roundrobin' })
  await c.register('com.example.add', add, { invoke: 'roundrobin' })
  const prefixId = await b.register('com.example', () => ({ args: ['prefix'] }), { match: 'prefix' })
  await b.register('com.example.fail', () => {
    throw new WampFailure('com.example.error.nope')
  })
  const caller = await openPeer('wampy', router.url, 'json')
  for (let i = 0; i < 4; i++) expect((await caller.call('com.example.add', [i, 1])).args).toEqual([i + 1])
  await expect(caller.call('com.example.fail')).rejects.toBeInstanceOf(WampFailure)
  return { router, a, b, c, caller, addId, prefixId, flags: connFlags(router.url) }
}

describe('wampctl registrations list', () => {
  it('prints one aligned row per registration with callees, calls/s, errors and spread over the recent window, and the calls total', async () => {
    const { flags, addId, prefixId } = await setup()
    // one snapshot: the router keeps the recent window itself, nothing to sample
    const r = await runCli(['registrations', 'list', ...flags])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(tableRows(r.stdout)[0]).toEqual([
      'ID',
      'URI',
      'MATCH',
      'INVOKE',
      'CALLEES',
      'CALLS/S',
      'IN FLIGHT',
      'QUEUED',
      'ERRORS',
      'SPREAD',
      'CALLS TOTAL',
    ])
    expect(rowOf(r.stdout, addId)).toEqual({
      ID: String(addId),
      URI: 'com.example.add',
      MATCH: 'exact',
      INVOKE: 'roundrobin',
      CALLEES: '3',
      'CALLS/S': expect.stringMatching(RATE),
      'IN FLIGHT': '0',
      QUEUED: '0',
      ERRORS: '0',
      SPREAD: '2.00x',
      'CALLS TOTAL': '4',
    })
    expect(rowOf(r.stdout, prefixId)).toMatchObject({
      URI: 'com.example',
      MATCH: 'prefix',
      INVOKE: 'single',
      CALLEES: '1',
      'CALLS/S': '0.0',
      'CALLS TOTAL': '0',
      SPREAD: '-',
    })
    const fail = tableRows(r.stdout).find((row) => row[1] === 'com.example.fail')
    expect(fail?.slice(4)).toEqual(['1', expect.stringMatching(RATE), '0', '0', '1', '-', '1'])
    expect(
      tableRows(r.stdout)
        .map((row) => row[1])
        .slice(1),
    ).toEqual(['com.example', 'com.example.add', 'com.example.fail'])
  })

  it('--json gives the documented shape; --match and --filter select rows', async () => {
    const { flags, addId, prefixId, a, b, c } = await setup()
    const [all, prefix, filtered] = await Promise.all([
      runCli(['registrations', 'list', '--json', '--sample', '0', ...flags]),
      runCli(['registrations', 'list', '--json', '--sample', '0', '--match', 'prefix', ...flags]),
      runCli(['registrations', 'list', '--json', '--sample', '0', '--filter', 'com.example.a', ...flags]),
    ])
    expect(all.code, all.stderr).toBe(0)
    const rows = JSON.parse(all.stdout) as Array<Record<string, unknown>>
    expect(rows).toHaveLength(3)
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(LIST_KEYS)
    const add = rows.find((row) => row.id === addId)!
    expect(add).toEqual({
      id: addId,
      uri: 'com.example.add',
      match: 'exact',
      invoke: 'roundrobin',
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      callees: 3,
      taking_calls: 3,
      calls_per_s: expect.any(Number),
      inflight: 0,
      queued: 0,
      errors: 0,
      spread: 2,
      window_ms: expect.any(Number),
      calls_total: 4,
      errors_total: 0,
    })
    expect(add.calls_per_s as number).toBeGreaterThan(0)
    // the window: since the callees registered, at most 11 stats intervals of 1 s
    expect(add.window_ms as number).toBeGreaterThan(0)
    expect(add.window_ms as number).toBeLessThanOrEqual(11_000 + 1000)
    expect(JSON.parse(prefix.stdout)).toEqual([
      expect.objectContaining({ id: prefixId, match: 'prefix', callees: 1, calls_total: 0, calls_per_s: 0, spread: null }),
    ])
    expect((JSON.parse(filtered.stdout) as Array<{ id: number }>).map((row) => row.id)).toEqual([addId])
    // the callees really are the three sessions
    const show = JSON.parse((await runCli(['registrations', 'show', String(addId), '--json', ...flags])).stdout) as {
      callees: Array<{ session: number }>
    }
    expect(show.callees.map((x) => x.session)).toEqual([a.id, b.id, c.id])
  })

  it('computes calls/s over the recent window while calls flow', async () => {
    const { flags, addId, prefixId, caller } = await setup()
    const cli = spawnCli(['registrations', 'list', '--json', '--sample', '500', ...flags])
    let stop = false
    const load = (async () => {
      const deadline = Date.now() + 15_000
      for (let i = 0; i < 200_000 && !stop && Date.now() < deadline; i++) await caller.call('com.example.add', [1, 1])
    })()
    const r = await cli.done
    stop = true
    await load
    expect(r.code, r.stderr).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{ id: number; calls_per_s: number | null; calls: number }>
    expect(rows.find((row) => row.id === addId)!.calls_per_s).toBeGreaterThan(0)
    expect(rows.find((row) => row.id === prefixId)!.calls_per_s).toBe(0)
  })

  it('--watch prints a new JSON line (or table) per interval when stdout is not a terminal, --count bounds it, Ctrl-C ends it with exit 0', async () => {
    const { flags, addId } = await setup()
    const [json, human] = await Promise.all([
      runCli(['registrations', 'list', '--watch', '--count', '2', '--sample', '100', '--json', ...flags]),
      runCli(['registrations', 'list', '--watch', '--count', '2', '--sample', '100', ...flags]),
    ])
    expect(json.code, json.stderr).toBe(0)
    const lines = json.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    for (const line of lines) {
      const rows = JSON.parse(line) as Array<{ id: number; calls_total: number; calls_per_s: number }>
      expect(rows.find((row) => row.id === addId)).toMatchObject({ calls_total: 4, calls_per_s: expect.any(Number) })
    }
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).not.toContain('\x1b')
    expect(human.stdout.match(/^\s*ID\s+URI\s+MATCH/gm)).toHaveLength(2)

    const endless = spawnCli(['registrations', 'list', '--watch', '--sample', '100', ...flags])
    await endless.waitFor((out) => out.includes('com.example.add'))
    endless.signal('SIGINT')
    const ended = await endless.done
    expect(ended.code).toBe(0)
    expect(ended.stderr).toBe('')

    // stdout closed by the reader (`| head -3`): the next redraw fails, the watch ends, exit 0
    const piped = spawnCli(['registrations', 'list', '--watch', '--sample', '100', ...flags])
    await piped.waitFor((out) => out.includes('com.example.add'))
    piped.closeStdout()
    const after = await piped.done
    expect(after.timedOut).toBe(false)
    expect(after.code).toBe(0)
  })

  it('without the extensions: rows from the standard meta API, statistics "-" / null, one note on stderr', async () => {
    const { flags, addId } = await setup(false)
    const [human, json] = await Promise.all([
      runCli(['registrations', 'list', ...flags]),
      runCli(['registrations', 'list', '--json', ...flags]),
    ])
    expect(human.code, human.stderr).toBe(0)
    expect(rowOf(human.stdout, addId)).toEqual({
      ID: String(addId),
      URI: 'com.example.add',
      MATCH: 'exact',
      INVOKE: 'roundrobin',
      CALLEES: '3',
      'CALLS/S': '-',
      'IN FLIGHT': '-',
      QUEUED: '-',
      ERRORS: '-',
      SPREAD: '-',
      'CALLS TOTAL': '-',
    })
    expect(oneErrorLine(human.stderr)).toMatch(/^wampctl: note: .*statistics are unavailable/)
    expect(json.code, json.stderr).toBe(0)
    expect((JSON.parse(json.stdout) as Array<Record<string, unknown>>).find((row) => row.id === addId)).toEqual({
      id: addId,
      uri: 'com.example.add',
      match: 'exact',
      invoke: 'roundrobin',
      created: expect.any(String),
      callees: 3,
      taking_calls: null,
      calls_per_s: null,
      inflight: null,
      queued: null,
      errors: null,
      spread: null,
      window_ms: null,
      calls_total: null,
      errors_total: null,
    })
    oneErrorLine(json.stderr)
  })
})

describe('wampctl registrations show', () => {
  it('lists the callees in registration order with state, weight, calls, share bar, errors and latency', async () => {
    const { flags, a, b, c } = await setup()
    const r = await runCli(['registrations', 'show', 'com.example.add', ...flags])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^com\.example\.add {2}\(registration \d+, match exact, invoke roundrobin, 0 queued, created /)
    expect(lines[1]).toMatch(/^calls\/s \d+\.\d, spread 2\.00x over the last \d+(\.\d)? s$/)
    expect(tableRows(r.stdout)[2]).toEqual([
      'SESSION',
      'AUTHID',
      'STATE',
      'WEIGHT',
      'CALLS/S',
      'SHARE',
      'IN FLIGHT',
      'ERRORS',
      'P50 MS',
      'P99 MS',
      'CALLS TOTAL',
    ])
    expect(
      tableRows(r.stdout)
        .slice(3)
        .map((row) => Number(row[0])),
    ).toEqual([a.id, b.id, c.id])
    expect(rowOf(r.stdout, a.id, 2)).toMatchObject({
      AUTHID: 'worker-a',
      STATE: 'active',
      WEIGHT: '1',
      'CALLS/S': expect.stringMatching(RATE),
      SHARE: `50.0% ${'█'.repeat(10)}${'·'.repeat(10)}`,
      'IN FLIGHT': '0',
      ERRORS: '0',
      'CALLS TOTAL': '2',
    })
    expect(rowOf(r.stdout, c.id, 2)).toMatchObject({
      AUTHID: 'worker-c',
      'CALLS TOTAL': '1',
      SHARE: `25.0% ${'█'.repeat(5)}${'·'.repeat(15)}`,
    })
    expect(rowOf(r.stdout, a.id, 2)['P99 MS']).toMatch(/^\d+(\.\d+)?$/)
  })

  it('--json by URI or ID gives the documented shape; a cordoned callee shows as cordoned', async () => {
    const { router, flags, a, b, c, addId } = await setup()
    const admin = await wampctlClient(router.url)
    await admin.call('wampctl.callee.cordon', [c.id, addId])
    const [byUri, byId] = await Promise.all([
      runCli(['registrations', 'show', 'com.example.add', '--json', ...flags]),
      runCli(['registrations', 'show', String(addId), '--json', ...flags]),
    ])
    expect(byUri.code, byUri.stderr).toBe(0)
    const d = JSON.parse(byUri.stdout) as { callees: Array<Record<string, unknown>> } & Record<string, unknown>
    // the same registration (the window moves on between the two calls: rates and its length may differ)
    const still = (x: Record<string, unknown>) => ({ ...x, window_ms: 0, calls_per_s: 0, callees: [] })
    expect(still(JSON.parse(byId.stdout) as Record<string, unknown>)).toEqual(still(d))
    expect(Object.keys(d).sort()).toEqual([
      'callees',
      'calls_per_s',
      'created',
      'id',
      'invoke',
      'match',
      'queued',
      'spread',
      'uri',
      'window_ms',
    ])
    expect(d).toMatchObject({ id: addId, uri: 'com.example.add', match: 'exact', invoke: 'roundrobin' })
    for (const callee of d.callees) expect(Object.keys(callee).sort()).toEqual(CALLEE_KEYS)
    expect(d.callees.map((x) => [x.session, x.state, x.calls_total, x.share])).toEqual([
      [a.id, 'active', 2, 0.5],
      [b.id, 'active', 1, 0.25],
      [c.id, 'cordoned', 1, 0.25],
    ])
    expect(d.callees[0]).toMatchObject({
      authid: 'worker-a',
      authrole: 'anonymous',
      weight: 1,
      inflight: 0,
      errors: 0,
      p50_ms: expect.any(Number),
      p99_ms: expect.any(Number),
    })
    // spread counts only the callees that take calls: a (2) vs b (1), the same in show and list
    expect(d.spread).toBe(2)
    const list = JSON.parse((await runCli(['registrations', 'list', '--json', ...flags])).stdout) as Array<{
      id: number
      spread: number
    }>
    expect(list.find((row) => row.id === addId)!.spread).toBe(2)
  })

  it('a URI served by a prefix registration resolves to it; unknown URI or ID: one line, exit 3 (also with --json)', async () => {
    const { flags, prefixId } = await setup()
    const [viaPrefix, unknownUri, unknownId, unknownJson] = await Promise.all([
      runCli(['registrations', 'show', 'com.example.other.thing', '--json', ...flags]),
      runCli(['registrations', 'show', 'org.nowhere.proc', ...flags]),
      runCli(['registrations', 'show', '4242', ...flags]),
      runCli(['registrations', 'show', 'org.nowhere.proc', '--json', ...flags]),
    ])
    expect(viaPrefix.code, viaPrefix.stderr).toBe(0)
    expect(JSON.parse(viaPrefix.stdout)).toMatchObject({ id: prefixId, uri: 'com.example', match: 'prefix' })
    expect(unknownUri.code).toBe(3)
    expect(unknownUri.stdout).toBe('')
    expect(oneErrorLine(unknownUri.stderr)).toBe("wampctl: no registration for 'org.nowhere.proc'")
    expect(unknownId.code).toBe(3)
    expect(oneErrorLine(unknownId.stderr)).toContain('4242')
    expect(unknownJson.code).toBe(3)
    expect(JSON.parse(unknownJson.stdout)).toEqual({
      error: { code: 'WAMPCTL_NOT_FOUND', message: "no registration for 'org.nowhere.proc'", exit: 3 },
    })
  })

  it('without the extensions: callees from the standard meta API, state and statistics "-" / null, one note', async () => {
    const { flags, a, b, c } = await setup(false)
    const [human, json] = await Promise.all([
      runCli(['registrations', 'show', 'com.example.add', ...flags]),
      runCli(['registrations', 'show', 'com.example.add', '--json', ...flags]),
    ])
    expect(human.code, human.stderr).toBe(0)
    expect(rowOf(human.stdout, b.id, 1)).toEqual({
      SESSION: String(b.id),
      AUTHID: expect.any(String),
      STATE: '-',
      WEIGHT: '-',
      'CALLS/S': '-',
      SHARE: '-',
      'IN FLIGHT': '-',
      ERRORS: '-',
      'P50 MS': '-',
      'P99 MS': '-',
      'CALLS TOTAL': '-',
    })
    expect(oneErrorLine(human.stderr)).toMatch(/statistics are unavailable/)
    const d = JSON.parse(json.stdout) as { callees: Array<Record<string, unknown>> }
    expect(d.callees.map((x) => x.session)).toEqual([a.id, b.id, c.id])
    expect(d.callees[0]).toEqual({
      session: a.id,
      authid: 'worker-a',
      authrole: 'anonymous',
      state: null,
      weight: null,
      calls_per_s: null,
      share: null,
      inflight: null,
      errors: null,
      p50_ms: null,
      p99_ms: null,
      calls_total: null,
      errors_total: null,
    })
  })
})

describe('calls waiting for a callee under its concurrency cap', () => {
  it('list shows them in QUEUED (and --json queued); show says how many wait', async () => {
    const router = await readRouter(true)
    const peer = await openPeer('autobahn', router.url)
    const { callee, registration } = await HeldCallee.register(peer, 'a', 'com.example.capped', { invoke: 'roundrobin', concurrency: 1 })
    const caller = await openPeer('wampy', router.url)
    const calls = [0, 1, 2].map((i) => caller.call('com.example.capped', [i]))
    await callee.until(() => callee.holding === 1, 'one call held')
    // The router has all three once describe says two wait (bounded: each check is a round trip).
    for (let i = 0; i < 100; i++) {
      const d = (await caller.call('wampctl.registration.describe', [registration])).args[0] as { queued: number }
      if (d.queued === 2) break
    }
    const flags = connFlags(router.url)
    const [list, json, show] = await Promise.all([
      runCli(['registrations', 'list', ...flags]),
      runCli(['registrations', 'list', '--json', ...flags]),
      runCli(['registrations', 'show', 'com.example.capped', ...flags]),
    ])
    expect(list.code, list.stderr).toBe(0)
    expect(rowOf(list.stdout, registration)).toMatchObject({ 'IN FLIGHT': '1', QUEUED: '2' })
    expect((JSON.parse(json.stdout) as Array<Record<string, unknown>>).find((r) => r.id === registration)).toMatchObject({
      inflight: 1,
      queued: 2,
    })
    expect(show.stdout.split('\n')[0]).toContain('invoke roundrobin, 2 queued')
    callee.answerAtOnce()
    expect((await Promise.all(calls)).map((r) => r.args[1])).toEqual([0, 1, 2])
  })
})
