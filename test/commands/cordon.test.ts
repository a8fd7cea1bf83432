import { describe, expect, it } from 'vitest'
import type { CordonReport } from '../../src/ops/cordon.js'
import { connFlags, runCli } from '../support/cli.js'
import { autobahnSession } from '../support/clients.js'
import { openPeer } from '../support/peers.js'
import { ADMIN, opsMeta, startOpsRouter } from '../support/ops-realm.js'

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  return lines[0]!
}

async function states(url: string, uri: string): Promise<string[]> {
  const meta = await opsMeta(url)
  return (await meta.describe(await meta.resolveRegistration(uri))).callees.map((c) => c.state)
}

describe('wampctl cordon / uncordon', () => {
  it('cordons a callee named by its authid (calls go elsewhere) and uncordons it, as a table or --json', async () => {
    const router = await startOpsRouter()
    const a = await autobahnSession(router.url, 'json', { authid: 'worker-a' })
    await a.register('com.svc', () => 'a', { invoke: 'roundrobin' })
    await a.register('com.extra', () => 'a', { invoke: 'roundrobin' })
    const b = await openPeer('wampy', router.url, 'cbor')
    await b.register('com.svc', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    await b.register('com.extra', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const admin = connFlags(router.url, ADMIN)

    const cordon = await runCli(['cordon', 'worker-a', ...admin])
    expect(cordon.code, cordon.stderr).toBe(0)
    expect(cordon.stdout).toMatch(/com\.extra\s+active\s+cordoned/)
    expect(cordon.stdout).toMatch(/com\.svc\s+active\s+cordoned/)
    expect(cordon.stdout).toContain(`session ${a.id} (worker-a) cordoned on 2 registrations`)
    expect(await states(router.url, 'com.svc')).toEqual(['cordoned', 'active'])
    const caller = await openPeer('autobahn', router.url, 'json')
    for (let i = 0; i < 3; i++) expect((await caller.call('com.svc')).args).toEqual(['b'])

    const uncordon = await runCli(['uncordon', String(a.id), '--uri', 'com.svc', '--json', ...admin])
    expect(uncordon.code, uncordon.stderr).toBe(0)
    expect(JSON.parse(uncordon.stdout) as CordonReport).toEqual({
      session: a.id,
      authid: 'worker-a',
      state: 'active',
      registrations: [{ registration: expect.any(Number), uri: 'com.svc', before: 'cordoned', state: 'active', changed: true }],
    })
    expect(await states(router.url, 'com.svc')).toEqual(['active', 'active'])
    expect(await states(router.url, 'com.extra')).toEqual(['cordoned', 'active'])
  })

  it('refuses to cordon the last active callee (exit 4) unless --force', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('wampy', router.url, 'json')
    await a.register('com.only', () => ({ args: ['a'] }))
    const admin = connFlags(router.url, ADMIN)
    const refused = await runCli(['cordon', String(a.id), ...admin])
    expect(refused.code).toBe(4)
    expect(oneLine(refused.stderr)).toMatch(/^wampctl: refusing to cordon session \d+: it is the last active callee of com\.only/)
    expect(await states(router.url, 'com.only')).toEqual(['active'])
    const forced = await runCli(['cordon', String(a.id), '--force', ...admin])
    expect(forced.code, forced.stderr).toBe(0)
    expect(await states(router.url, 'com.only')).toEqual(['cordoned'])
  })

  it('refuses anonymous sessions (exit 1, not authorized), unknown sessions (exit 3) and routers without the extensions (exit 1)', async () => {
    const router = await startOpsRouter()
    const plain = await startOpsRouter({ extensions: false })
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    await a.register('com.svc', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    await b.register('com.svc', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const p = await openPeer('autobahn', plain.url, 'json')
    await p.register('com.svc', () => ({ args: ['p'] }))
    const [anonCordon, anonUncordon, unknown, noExtCordon, noExtUncordon] = await Promise.all([
      runCli(['cordon', String(a.id), ...connFlags(router.url)]),
      runCli(['uncordon', String(a.id), ...connFlags(router.url)]),
      runCli(['cordon', '424242', ...connFlags(router.url, ADMIN)]),
      runCli(['cordon', String(p.id), ...connFlags(plain.url, ADMIN)]),
      runCli(['uncordon', String(p.id), ...connFlags(plain.url, ADMIN)]),
    ])
    for (const r of [anonCordon, anonUncordon]) {
      expect(r.code).toBe(1)
      expect(oneLine(r.stderr)).toMatch(/^wampctl: not authorized/)
    }
    expect(unknown.code).toBe(3)
    expect(oneLine(unknown.stderr)).toBe("wampctl: no session 424242 on realm 'realm1'")
    for (const [r, verb] of [
      [noExtCordon, 'cordon'],
      [noExtUncordon, 'uncordon'],
    ] as const) {
      expect(r.code).toBe(1)
      expect(oneLine(r.stderr)).toContain(`cannot ${verb} callees: it does not serve the wampctl operations extensions`)
      expect(r.stderr).toContain("use 'wampctl evict'")
    }
    expect(await states(router.url, 'com.svc')).toEqual(['active', 'active'])
  })
})

describe('cordon and uncordon say when nothing changed', () => {
  it('"already cordoned" and "not cordoned", never "0 of 1 registration(s)"; plurals right', async () => {
    const router = await startOpsRouter()
    const a = await autobahnSession(router.url, 'json', { authid: 'worker-a' })
    await a.register('com.one', () => 'a', { invoke: 'roundrobin' })
    const b = await openPeer('wampy', router.url, 'json')
    await b.register('com.one', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const admin = connFlags(router.url, ADMIN)

    const first = await runCli(['cordon', 'worker-a', ...admin])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain(`session ${a.id} (worker-a) cordoned on 1 registration\n`)
    const again = await runCli(['cordon', 'worker-a', ...admin])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`session ${a.id} (worker-a) is already cordoned on com.one: nothing changed`)
    expect(again.stdout).not.toContain('0 of')
    expect(await states(router.url, 'com.one')).toEqual(['cordoned', 'active'])

    const back = await runCli(['uncordon', 'worker-a', ...admin])
    expect(back.stdout).toContain(`session ${a.id} (worker-a) uncordoned on 1 registration\n`)
    const backAgain = await runCli(['uncordon', 'worker-a', ...admin])
    expect(backAgain.code, backAgain.stderr).toBe(0)
    expect(backAgain.stdout).toContain(`session ${a.id} (worker-a) is not cordoned (already active) on com.one: nothing changed`)
    expect(await states(router.url, 'com.one')).toEqual(['active', 'active'])
  })
})
