import { describe, expect, it } from 'vitest'
import type { DrainReport } from '../../src/ops/drain.js'
import { connFlags, runCli, spawnCli } from '../support/cli.js'
import { openPeer } from '../support/peers.js'
import { HeldCalls } from '../ops/held-calls.js'
import { ADMIN, opsMeta, startOpsRouter } from '../support/ops-realm.js'

/** The CLI's one error line (stderr, no stack trace). */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  return lines[0]!
}

async function states(url: string, uri: string): Promise<string[]> {
  const meta = await opsMeta(url)
  return (await meta.describe(await meta.resolveRegistration(uri))).callees.map((c) => c.state)
}

describe('wampctl drain', () => {
  it('refuses to drain the last active callee (exit 4) and does it with --force', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('wampy', router.url, 'json')
    await a.register('com.only', () => ({ args: ['a'] }))
    const admin = connFlags(router.url, ADMIN)
    const refused = await runCli(['drain', String(a.id), '--yes', ...admin])
    expect(refused.code).toBe(4)
    expect(oneLine(refused.stderr)).toMatch(/^wampctl: refusing to drain session \d+: it is the last active callee of com\.only/)
    expect(await states(router.url, 'com.only')).toEqual(['active'])

    const forced = await runCli(['drain', String(a.id), '--yes', '--force', '--then', 'unregister', '--json', ...admin])
    expect(forced.code, forced.stderr).toBe(0)
    const report = JSON.parse(forced.stdout) as DrainReport
    expect(report).toMatchObject({
      dry_run: false,
      forced: true,
      plan: { safe: false, blocked: ['com.only'] },
      result: { drained: true, outcome: 'unregistered' },
    })
    const meta = await opsMeta(router.url)
    expect((await meta.lookup('com.only')) ?? null).toBeNull()
  })

  it('fails with usage, safety and not-found exit codes before changing anything', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    await a.register('com.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    await b.register('com.work', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const admin = connFlags(router.url, ADMIN)
    const [noYes, badDuration, badThen, unknown, notCallee] = await Promise.all([
      runCli(['drain', String(a.id), ...admin]),
      runCli(['drain', String(a.id), '--timeout', '30', '--yes', ...admin]),
      runCli(['drain', String(a.id), '--then', 'explode', '--yes', ...admin]),
      runCli(['drain', '123456789', '--yes', ...admin]),
      runCli(['drain', String(a.id), '--uri', 'com.nothing', '--yes', ...admin]),
    ])
    expect(noYes.code).toBe(4)
    expect(oneLine(noYes.stderr)).toContain('refusing without confirmation (not a terminal); pass --yes')
    expect(badDuration.code).toBe(2)
    expect(oneLine(badDuration.stderr)).toBe("wampctl: bad --timeout '30': give a unit (examples: 500ms, 30s, 2m, 1m30s)")
    expect(badThen.code).toBe(2)
    expect(unknown.code).toBe(3)
    expect(oneLine(unknown.stderr)).toBe("wampctl: no session 123456789 on realm 'realm1'")
    expect(notCallee.code).toBe(3)
    expect(oneLine(notCallee.stderr)).toBe("wampctl: no registration for 'com.nothing'")
    expect(await states(router.url, 'com.work')).toEqual(['active', 'active'])
  })

  it('--dry-run shows the registrations, the other active callees and the calls in flight, and changes nothing', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    const held = new HeldCalls('a')
    await a.register('com.work', held.handler, { invoke: 'roundrobin' })
    await b.register('com.work', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    await a.register('com.solo', () => ({ args: ['a'] }))
    const caller = await openPeer('autobahn', router.url, 'json')
    const call = caller.call('com.work')
    await held.waitHeld(1)
    const admin = connFlags(router.url, ADMIN)
    const [human, json] = await Promise.all([
      runCli(['drain', String(a.id), '--dry-run', '--then', 'kill', ...admin]),
      runCli(['drain', String(a.id), '--dry-run', '--json', ...admin]),
    ])
    // A dry run of a refused drain exits 4 like the real one, after showing the plan.
    expect(human.code, human.stderr).toBe(4)
    expect(human.stderr).toMatch(/^wampctl: dry run: refusing to drain session \d+: it is the last active callee of com\.solo/)
    expect(human.stdout).toMatch(/com\.solo\s+single\s+active\s+0\s+none\s+NO/)
    expect(human.stdout).toMatch(new RegExp(`com\\.work\\s+roundrobin\\s+active\\s+1\\s+${b.id}\\s+yes`))
    expect(human.stdout).toContain('dry run, nothing changed: would be REFUSED (exit 4) without --force: last active callee of com.solo')
    expect(json.code, json.stderr).toBe(4)
    const report = JSON.parse(json.stdout) as DrainReport
    expect(report).toEqual({
      dry_run: true,
      forced: false,
      result: null,
      inflight_at_start: null,
      plan: {
        session: a.id,
        authid: expect.any(String),
        inflight: 1,
        safe: false,
        blocked: ['com.solo'],
        registrations: [
          { id: expect.any(Number), uri: 'com.solo', invoke: 'single', state: 'active', inflight: 0, other_active: [], safe: false },
          { id: expect.any(Number), uri: 'com.work', invoke: 'roundrobin', state: 'active', inflight: 1, other_active: [b.id], safe: true },
        ],
      },
    })
    expect(await states(router.url, 'com.work')).toEqual(['active', 'active'])
    held.releaseAll()
    expect((await call).args).toEqual(['a'])
  })

  it('times out with exit 5 saying the callee stays cordoned; the call in flight still returns', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'cbor')
    const b = await openPeer('wampy', router.url, 'cbor')
    const held = new HeldCalls('a')
    await a.register('com.work', held.handler, { invoke: 'roundrobin' })
    await b.register('com.work', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const caller = await openPeer('wampy', router.url, 'json')
    const call = caller.call('com.work')
    await held.waitHeld(1)
    const r = await runCli([
      'drain',
      String(a.id),
      '--uri',
      'com.work',
      '--timeout',
      '300ms',
      '--then',
      'unregister',
      '--yes',
      ...connFlags(router.url, ADMIN),
    ])
    expect(r.code).toBe(5)
    const lines = r.stderr.trim().split('\n')
    expect(lines.slice(0, -1).every((l) => l === `draining session ${a.id}: 1 call in flight`)).toBe(true)
    expect(lines.at(-1)).toBe(
      `wampctl: drain of session ${a.id} timed out after 300ms with 1 call still in flight; no call was dropped and the callee stays cordoned on com.work ('wampctl uncordon ${a.id}' puts it back)`,
    )
    expect(await states(router.url, 'com.work')).toEqual(['cordoned', 'active'])
    held.releaseAll()
    expect((await call).args).toEqual(['a'])
  })

  it('is refused for an anonymous session: one line, exit 1, nothing changed', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    await a.register('com.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    await b.register('com.work', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const r = await runCli(['drain', String(a.id), '--yes', ...connFlags(router.url)])
    expect(r.code).toBe(1)
    expect(oneLine(r.stderr)).toMatch(/^wampctl: not authorized/)
    expect(await states(router.url, 'com.work')).toEqual(['active', 'active'])
  })

  it('says plainly that a router without the extensions cannot drain (exit 1), suggesting evict', async () => {
    const router = await startOpsRouter({ extensions: false })
    const a = await openPeer('autobahn', router.url, 'json')
    await a.register('com.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    const r = await runCli(['drain', String(a.id), '--yes', ...connFlags(router.url, ADMIN)])
    expect(r.code).toBe(1)
    expect(oneLine(r.stderr)).toBe(
      `wampctl: the router at ${router.url} cannot drain callees: it does not serve the wampctl operations extensions (standard WAMP meta API only); use 'wampctl evict' to remove a callee instead`,
    )
  })
})

describe('wampctl drain interrupted', () => {
  it('Ctrl-C while waiting: exit 130, says the callee stays cordoned and how to finish; --then is not done', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    const held = new HeldCalls('a')
    await a.register('com.slow', held.handler, { invoke: 'roundrobin' })
    await b.register('com.slow', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const caller = await openPeer('autobahn', router.url, 'json')
    const call = caller.call('com.slow')
    await held.waitHeld(1)
    const drain = spawnCli(['drain', String(a.id), '--then', 'unregister', '--timeout', '2m', '--yes', ...connFlags(router.url, ADMIN)])
    await drain.waitFor((_out, err) => err.includes('1 call in flight'))
    drain.signal('SIGINT')
    const end = await drain.done
    expect(end.code).toBe(130)
    const last = end.stderr.trim().split('\n').at(-1)!.replace(/^.*\r/, '')
    expect(last).toBe(
      `wampctl: drain interrupted: session ${a.id} stays cordoned on com.slow (no new calls; its calls in flight still finish; --then unregister was not done); 'wampctl drain ${a.id} --then unregister' finishes it, 'wampctl uncordon ${a.id}' puts it back`,
    )
    expect(await states(router.url, 'com.slow')).toEqual(['cordoned', 'active'])
    // Its call in flight still finishes; the callee is still registered (not unregistered).
    held.releaseAll()
    expect((await call).args).toEqual(['a'])
    const finish = await runCli(['drain', String(a.id), '--then', 'unregister', '--yes', ...connFlags(router.url, ADMIN)])
    expect(finish.code, finish.stderr).toBe(0)
    const meta = await opsMeta(router.url)
    expect(await meta.calleeIds(await meta.resolveRegistration('com.slow'))).toEqual([b.id])
  })
})
