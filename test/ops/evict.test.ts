import { describe, expect, it } from 'vitest'
import { NotAuthorizedError, UnsupportedError } from '../../src/client/errors.js'
import { evict, planEvict } from '../../src/ops/evict.js'
import { autobahnSession } from '../support/clients.js'
import { openPeer } from '../support/peers.js'
import { HeldCalls } from './held-calls.js'
import { opsMeta, startOpsRouter } from '../support/ops-realm.js'

async function rejection(p: Promise<unknown>): Promise<Error & { exitCode?: number }> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

// MetaClient.lookup() yields undefined (not null) when nothing is registered: compare with `?? null`.

/** autobahn resolves a registration's on_unregister with the reason of a revocation. */
function revocationOf(reg: unknown): Promise<string> {
  return (reg as { on_unregister: Promise<string> }).on_unregister
}

// These check the mechanics of each path on single-callee registrations, so they pass force (the
// safety check has its own tests in test/commands/evict.test.ts).
describe('evict', () => {
  it('with a URI revokes that registration only; the callee is told the reason', async () => {
    const router = await startOpsRouter()
    const s = await autobahnSession(router.url, 'json')
    const regA = await s.register('com.a', () => 'a', { invoke: 'roundrobin' })
    await s.register('com.b', () => 'b', { invoke: 'roundrobin' })
    const meta = await opsMeta(router.url)
    const plan = await planEvict(meta, String(s.id), 'com.a')
    const report = await evict(meta, plan, { uri: 'com.a', reason: 'bad build', force: true })
    expect(report).toMatchObject({
      session: s.id,
      method: 'remove_callee',
      fallback: false,
      reason: 'wampctl.evicted.bad_build',
      message: 'bad build',
    })
    expect(report.registrations.map((r) => [r.uri, r.outcome])).toEqual([['com.a', 'revoked']])
    expect(await revocationOf(regA)).toBe('wampctl.evicted.bad_build')
    expect((await meta.lookup('com.a')) ?? null).toBeNull()
    expect(await s.call('com.b')).toBe('b')
  })

  it('without a URI revokes every registration; the session stays connected and its calls in flight still return', async () => {
    const router = await startOpsRouter()
    const callee = await openPeer('autobahn', router.url, 'msgpack')
    const held = new HeldCalls('a')
    await callee.register('com.a', held.handler)
    await callee.register('com.b', () => ({ args: ['b'] }))
    const caller = await openPeer('wampy', router.url, 'json')
    const inflight = caller.call('com.a')
    await held.waitHeld(1)
    const meta = await opsMeta(router.url)
    const report = await evict(meta, await planEvict(meta, String(callee.id)), { reason: 'com.example.redeploy', force: true })
    expect(report.reason).toBe('com.example.redeploy')
    expect(report.registrations.map((r) => [r.uri, r.outcome])).toEqual([
      ['com.a', 'revoked'],
      ['com.b', 'revoked'],
    ])
    expect((await meta.snapshot()).registrations).toEqual([])
    held.releaseAll()
    expect((await inflight).args).toEqual(['a'])
    expect(await meta.session(callee.id)).toMatchObject({ session: callee.id })
  })

  it('works against a router without the extensions', async () => {
    const router = await startOpsRouter({ extensions: false })
    const a = await openPeer('wampy', router.url, 'json')
    await a.register('com.a', () => ({ args: ['a'] }))
    const meta = await opsMeta(router.url)
    const report = await evict(meta, await planEvict(meta, String(a.id)), { force: true })
    expect(report).toMatchObject({
      method: 'remove_callee',
      reason: 'wampctl.evicted',
      registrations: [{ uri: 'com.a', outcome: 'revoked' }],
    })
    expect((await meta.lookup('com.a')) ?? null).toBeNull()
  })

  it('falls back to wamp.session.kill, and says so, when the router has no remove_callee', async () => {
    const router = await startOpsRouter({ extensions: false })
    router.realm('realm1')!.meta.delete('wamp.registration.remove_callee')
    const a = await openPeer('autobahn', router.url, 'json')
    await a.register('com.a', () => ({ args: ['a'] }))
    await a.register('com.b', () => ({ args: ['b'] }))
    const meta = await opsMeta(router.url)

    const one = await rejection(evict(meta, await planEvict(meta, String(a.id), 'com.a'), { uri: 'com.a', force: true }))
    expect(one).toBeInstanceOf(UnsupportedError)
    expect(one.message).toContain('without --uri closes the whole session')
    expect(await meta.lookup('com.a')).not.toBeNull()

    const report = await evict(meta, await planEvict(meta, String(a.id)), { reason: 'deploy', force: true })
    expect(report).toMatchObject({ method: 'session_kill', fallback: true, reason: 'wampctl.evicted.deploy' })
    expect(report.registrations.map((r) => [r.uri, r.outcome])).toEqual([
      ['com.a', 'killed'],
      ['com.b', 'killed'],
    ])
    expect(await meta.sessionIds()).not.toContain(a.id)
    expect((await meta.lookup('com.a')) ?? null).toBeNull()
  })

  it('is refused for an anonymous session (not authorized), without falling back to a kill', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    await a.register('com.a', () => ({ args: ['a'] }))
    const anon = await opsMeta(router.url, true)
    for (const uri of ['com.a', undefined]) {
      const err = await rejection(evict(anon, await planEvict(anon, String(a.id), uri), { uri, force: true }))
      expect(err).toBeInstanceOf(NotAuthorizedError)
    }
    const meta = await opsMeta(router.url)
    expect(await meta.sessionIds()).toContain(a.id)
    expect(await meta.calleeIds((await meta.lookup('com.a'))!)).toEqual([a.id])
  })
})
