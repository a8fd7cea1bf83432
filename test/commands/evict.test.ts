import { Wampy } from 'wampy'
import { JsonSerializer } from 'wampy/JsonSerializer.js'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { EvictReport } from '../../src/ops/evict.js'
import { connFlags, runCli } from '../support/cli.js'
import { autobahnSession } from '../support/clients.js'
import { openPeer } from '../support/peers.js'
import { ADMIN, opsMeta, startOpsRouter } from '../support/ops-realm.js'

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  return lines[0]!
}

/** autobahn resolves a registration's on_unregister with the reason of a revocation. */
function revocationOf(reg: unknown): Promise<string> {
  return (reg as { on_unregister: Promise<string> }).on_unregister
}

const wampies: Wampy[] = []
afterEach(async () => {
  for (const w of wampies.splice(0)) {
    try {
      await w.disconnect()
    } catch {
      /* already closed */
    }
  }
})

/** A wampy session (JSON) whose every incoming WAMP message is recorded, to see what the router sent it. */
async function tappedWampy(url: string): Promise<{ wampy: Wampy; received: unknown[][] }> {
  const received: unknown[][] = []
  class TapSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols)
      this.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) received.push(JSON.parse(data.toString('utf8')) as unknown[])
      })
    }
  }
  const wampy = new Wampy(url, { realm: 'realm1', ws: TapSocket, serializer: new JsonSerializer(), autoReconnect: false } as never)
  await wampy.connect()
  wampies.push(wampy)
  return { wampy, received }
}

const UNREGISTERED = 67

describe('wampctl evict', () => {
  it('revokes: an autobahn callee sees the reason; a wampy callee is not sent a revocation and keeps working', async () => {
    const router = await startOpsRouter()
    const ab = await autobahnSession(router.url, 'json')
    const abReg = await ab.register('com.svc', () => 'ab', { invoke: 'roundrobin' })
    const { wampy, received } = await tappedWampy(router.url)
    const wampyId = wampy.getSessionId()!
    await wampy.register('com.svc', () => ({ argsList: ['wampy'] }), { invoke: 'roundrobin' })
    await wampy.register('com.wampy.other', () => ({ argsList: ['other'] }))
    const keeper = await openPeer('autobahn', router.url, 'msgpack')
    await keeper.register('com.svc', () => ({ args: ['keeper'] }), { invoke: 'roundrobin' })
    const admin = connFlags(router.url, ADMIN)

    const one = await runCli(['evict', String(ab.id), '--uri', 'com.svc', '--reason', 'bad build', '--yes', ...admin])
    expect(one.code, one.stderr).toBe(0)
    expect(one.stdout).toMatch(/com\.svc\s+revoked/)
    expect(one.stdout).toContain('revoked with wamp.registration.remove_callee, reason wampctl.evicted.bad_build')
    expect(await revocationOf(abReg)).toBe('wampctl.evicted.bad_build')

    // It is the only callee of com.wampy.other: refused (exit 4) without --force.
    const refused = await runCli(['evict', String(wampyId), '--yes', ...admin])
    expect(refused.code).toBe(4)
    expect(oneLine(refused.stderr)).toMatch(/^wampctl: refusing to evict session \d+: it is the last active callee of com\.wampy\.other/)
    const all = await runCli(['evict', String(wampyId), '--yes', '--force', '--json', ...admin])
    expect(all.code, all.stderr).toBe(0)
    const report = JSON.parse(all.stdout) as EvictReport
    expect(report).toEqual({
      session: wampyId,
      authid: expect.any(String),
      method: 'remove_callee',
      fallback: false,
      reason: 'wampctl.evicted',
      message: null,
      registrations: [
        { id: expect.any(Number), uri: 'com.svc', outcome: 'revoked' },
        { id: expect.any(Number), uri: 'com.wampy.other', outcome: 'revoked' },
      ],
      forced: true,
      notes: [],
    })
    const meta = await opsMeta(router.url)
    expect(await meta.calleeIds(await meta.resolveRegistration('com.svc'))).toEqual([keeper.id])
    expect((await meta.lookup('com.wampy.other')) ?? null).toBeNull()

    // The wampy session still works (its call is answered by the remaining callee), and in all it
    // received not one UNREGISTERED with request 0 (a revocation).
    const r = await wampy.call('com.svc')
    expect(r.argsList).toEqual(['keeper'])
    expect(received.some((m) => m[0] === 50)).toBe(true) // the tap sees what arrives: RESULT
    expect(received.filter((m) => m[0] === UNREGISTERED && m[1] === 0)).toEqual([])
  })

  it('falls back to wamp.session.kill without remove_callee, and says which fallback it used', async () => {
    const router = await startOpsRouter({ extensions: false })
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    const c = await openPeer('autobahn', router.url, 'json')
    for (const p of [a, b, c]) await p.register('com.svc', () => ({ args: ['x'] }), { invoke: 'roundrobin' })
    const admin = connFlags(router.url, ADMIN)
    // The standard API's remove_callee works without the extensions.
    const plain = await runCli(['evict', String(c.id), '--uri', 'com.svc', '--yes', ...admin])
    expect(plain.code, plain.stderr).toBe(0)

    router.realm('realm1')!.meta.delete('wamp.registration.remove_callee')
    const oneUri = await runCli(['evict', String(a.id), '--uri', 'com.svc', '--yes', ...admin])
    const [human, json] = await Promise.all([
      // --force: run side by side, each may find the other gone already.
      runCli(['evict', String(a.id), '--reason', 'rolling deploy', '--yes', '--force', ...admin]),
      runCli(['evict', String(b.id), '--yes', '--force', '--json', ...admin]),
    ])
    expect(oneUri.code).toBe(1)
    expect(oneLine(oneUri.stderr)).toContain('has no wamp.registration.remove_callee, so it cannot revoke one registration')
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/com\.svc\s+killed/)
    expect(human.stdout).toContain(`fallback: the router has no wamp.registration.remove_callee, so session ${a.id}`)
    expect(human.stdout).toContain('was closed with wamp.session.kill (reason wampctl.evicted.rolling_deploy)')
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      session: b.id,
      method: 'session_kill',
      fallback: true,
      registrations: [{ uri: 'com.svc', outcome: 'killed' }],
    })
    const meta = await opsMeta(router.url)
    const left = await meta.sessionIds()
    expect(left).not.toContain(a.id)
    expect(left).not.toContain(b.id)
    expect(left).toContain(c.id)
  })

  it('needs --yes without a terminal (exit 4), refuses anonymous sessions (exit 1), unknown (exit 3) and ambiguous (exit 2) sessions', async () => {
    const router = await startOpsRouter()
    const a = await autobahnSession(router.url, 'json', { authid: 'twin' })
    const b = await autobahnSession(router.url, 'json', { authid: 'twin' })
    await a.register('com.svc', () => 'a', { invoke: 'roundrobin' })
    await b.register('com.svc', () => 'b', { invoke: 'roundrobin' })
    const admin = connFlags(router.url, ADMIN)
    const [noYes, anonUri, anonAll, unknown, twin] = await Promise.all([
      runCli(['evict', String(a.id), ...admin]),
      runCli(['evict', String(a.id), '--uri', 'com.svc', '--yes', ...connFlags(router.url)]),
      runCli(['evict', String(a.id), '--yes', ...connFlags(router.url)]),
      runCli(['evict', 'nobody', '--yes', ...admin]),
      runCli(['evict', 'twin', '--yes', ...admin]),
    ])
    expect(noYes.code).toBe(4)
    expect(oneLine(noYes.stderr)).toContain('pass --yes')
    for (const anon of [anonUri, anonAll]) {
      expect(anon.code).toBe(1)
      expect(oneLine(anon.stderr)).toMatch(/^wampctl: not authorized/)
    }
    expect(unknown.code).toBe(3)
    expect(oneLine(unknown.stderr)).toBe("wampctl: no session with id or authid 'nobody' on realm 'realm1'")
    expect(twin.code).toBe(2)
    const [lo, hi] = [a.id, b.id].sort((x, y) => x - y)
    expect(oneLine(twin.stderr)).toBe(`wampctl: authid 'twin' names 2 sessions: ${lo} (anonymous), ${hi} (anonymous); give a session id`)
    // Nothing was removed, nobody was killed.
    const meta = await opsMeta(router.url)
    expect(await meta.calleeIds(await meta.resolveRegistration('com.svc'))).toEqual([a.id, b.id])
  })
})

describe('the same safety rules for evict and sessions kill', () => {
  it('evict refuses (exit 4) to remove the last callee taking calls while the other is cordoned; --force does it', async () => {
    const router = await startOpsRouter()
    const a = await autobahnSession(router.url, 'json', { authid: 'live-a' })
    await a.register('com.pair', () => 'a', { invoke: 'roundrobin' })
    const b = await openPeer('wampy', router.url, 'json')
    await b.register('com.pair', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const admin = connFlags(router.url, ADMIN)
    const cordon = await runCli(['cordon', String(b.id), ...admin])
    expect(cordon.code, cordon.stderr).toBe(0)

    const refused = await runCli(['evict', 'live-a', '--yes', ...admin])
    expect(refused.code).toBe(4)
    expect(oneLine(refused.stderr)).toBe(
      `wampctl: refusing to evict session ${a.id}: it is the last active callee of com.pair (calls would fail with wamp.error.no_available_callee); start or uncordon another callee first, or pass --force`,
    )
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration('com.pair')
    expect(await meta.calleeIds(reg)).toEqual([a.id, b.id])
    // The callee still answers: nothing was removed.
    const caller = await openPeer('autobahn', router.url, 'json')
    expect((await caller.call('com.pair')).args).toEqual(['a'])

    const forced = await runCli(['evict', 'live-a', '--yes', '--force', ...admin])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toContain('forced: it was the last callee taking calls')
    expect(await meta.calleeIds(reg)).toEqual([b.id])
  })

  it('evict --dry-run shows the plan and changes nothing; a refused one exits 4 like the real run', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    await a.register('com.shared', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    await b.register('com.shared', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    await a.register('com.alone', () => ({ args: ['a'] }))
    const admin = connFlags(router.url, ADMIN)
    const [safe, refused, refusedJson, forced] = await Promise.all([
      runCli(['evict', String(b.id), '--dry-run', ...admin]),
      runCli(['evict', String(a.id), '--dry-run', ...admin]),
      runCli(['evict', String(a.id), '--dry-run', '--json', ...admin]),
      runCli(['evict', String(a.id), '--dry-run', '--force', ...admin]),
    ])
    expect(safe.code, safe.stderr).toBe(0)
    expect(safe.stdout).toMatch(new RegExp(`com\\.shared\\s+roundrobin\\s+unknown|com\\.shared\\s+roundrobin\\s+active`))
    expect(safe.stdout).toContain(`dry run, nothing changed: would evict session ${b.id}`)
    expect(refused.code).toBe(4)
    expect(refused.stdout).toContain('dry run, nothing changed: would be REFUSED (exit 4) without --force: last active callee of com.alone')
    expect(oneLine(refused.stderr)).toMatch(/^wampctl: dry run: refusing to evict session \d+: it is the last active callee of com\.alone/)
    expect(refusedJson.code).toBe(4)
    expect(JSON.parse(refusedJson.stdout)).toMatchObject({
      dry_run: true,
      session: a.id,
      refused: expect.stringContaining('last active callee of com.alone'),
      plan: { safe: false, blocked: ['com.alone'] },
    })
    expect(forced.code, forced.stderr).toBe(0)
    const meta = await opsMeta(router.url)
    expect(await meta.calleeIds(await meta.resolveRegistration('com.shared'))).toEqual([a.id, b.id])
    expect(await meta.calleeIds(await meta.resolveRegistration('com.alone'))).toEqual([a.id])
  })

  it('sessions kill refuses the last callee taking calls (exit 4) unless --force; --dry-run kills nobody', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    await a.register('com.single', () => ({ args: ['a'] }))
    const bystander = await openPeer('wampy', router.url, 'json')
    const admin = connFlags(router.url, ADMIN)
    const [refused, dry, dryBystander] = await Promise.all([
      runCli(['sessions', 'kill', String(a.id), '--yes', ...admin]),
      runCli(['sessions', 'kill', String(a.id), '--dry-run', '--json', ...admin]),
      runCli(['sessions', 'kill', String(bystander.id), '--dry-run', ...admin]),
    ])
    expect(refused.code).toBe(4)
    expect(oneLine(refused.stderr)).toMatch(/^wampctl: refusing to kill session \d+: it is the last active callee of com\.single/)
    expect(dry.code).toBe(4)
    expect(JSON.parse(dry.stdout)).toMatchObject({ session: a.id, killed: false, dry_run: true, registrations: ['com.single'] })
    expect(dryBystander.code, dryBystander.stderr).toBe(0)
    expect(dryBystander.stdout).toContain(`dry run, nothing changed: would kill session ${bystander.id}`)
    const meta = await opsMeta(router.url)
    const alive = await meta.sessionIds()
    expect(alive).toContain(a.id)
    expect(alive).toContain(bystander.id)

    const forced = await runCli(['sessions', 'kill', String(a.id), '--yes', '--force', ...admin])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toBe(`session ${a.id} killed\nforced: it was the last callee taking calls\n`)
    expect(await meta.sessionIds()).not.toContain(a.id)
  })
})
