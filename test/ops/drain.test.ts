import { describe, expect, it } from 'vitest'
import { NotAuthorizedError, SafetyError, TimeoutError, UnsupportedError } from '../../src/client/errors.js'
import { prepareDrain, runDrain } from '../../src/ops/drain.js'
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

/** Callee a (held calls) and b (answers at once) on com.work, a caller with two calls held at a. */
async function twoCallees(extensions = true) {
  const router = await startOpsRouter({ extensions })
  const a = await openPeer('autobahn', router.url, 'json')
  const b = await openPeer('wampy', router.url, 'json')
  const held = new HeldCalls('a')
  await a.register('com.work', held.handler, { invoke: 'roundrobin' })
  await b.register('com.work', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
  const caller = await openPeer('autobahn', router.url, 'json')
  return { router, a, b, held, caller }
}

describe('drain', () => {
  it('plans first (who else serves, what is in flight), then waits for every call in flight and unregisters', async () => {
    const { router, a, b, held, caller } = await twoCallees()
    // Round robin: calls 1 and 3 go to a (held), 2 and 4 to b.
    const calls = [1, 2, 3, 4].map(() => caller.call('com.work'))
    await held.waitHeld(2)
    const meta = await opsMeta(router.url)
    const plan = await prepareDrain(meta, String(a.id))
    expect(plan.registrations.map((r) => [r.uri, r.state, r.inflight, r.other_active, r.safe])).toEqual([
      ['com.work', 'active', 2, [b.id], true],
    ])
    expect(plan.inflight).toBe(2)

    const progress: number[] = []
    const report = await runDrain(meta, plan, { timeoutMs: 10_000, then: 'unregister', force: false }, (p) => {
      progress.push(p.inflight)
      held.releaseOne() // answer one held call per report: the count falls 2 → 1 → 0
    })
    expect(progress).toEqual([2, 1, 0])
    expect(report.inflight_at_start).toBe(2)
    expect(report.result).toMatchObject({ session: a.id, drained: true, inflight: 0, then: 'unregister', outcome: 'unregistered' })
    expect((await Promise.all(calls)).map((r) => r.args[0])).toEqual(['a', 'b', 'a', 'b'])
    const reg = await meta.describe(await meta.resolveRegistration('com.work'))
    expect(reg.callees.map((c) => c.session)).toEqual([b.id])
  })

  it('on timeout fails with exit 5, drops no call and leaves the callee cordoned', async () => {
    const { router, a, held, caller } = await twoCallees()
    const call = caller.call('com.work')
    await held.waitHeld(1)
    const meta = await opsMeta(router.url)
    const plan = await prepareDrain(meta, String(a.id), 'com.work')
    const err = await rejection(runDrain(meta, plan, { uri: 'com.work', timeoutMs: 200, then: 'unregister', force: false }))
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err.exitCode).toBe(5)
    expect(err.message).toContain('1 call still in flight')
    expect(err.message).toContain('stays cordoned')
    const reg = await meta.describe(await meta.resolveRegistration('com.work'))
    expect(reg.callees.find((c) => c.session === a.id)).toMatchObject({ state: 'cordoned', inflight: 1 })
    held.releaseAll()
    expect((await call).args).toEqual(['a'])
  })

  it('refuses (exit 4) to drain the last active callee, changing nothing; --force drains it', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('wampy', router.url, 'cbor')
    await a.register('com.only', () => ({ args: ['a'] }))
    const meta = await opsMeta(router.url)
    const plan = await prepareDrain(meta, String(a.id))
    expect(plan).toMatchObject({ safe: false, blocked: ['com.only'] })
    const err = await rejection(runDrain(meta, plan, { timeoutMs: 1000, then: 'none', force: false }))
    expect(err).toBeInstanceOf(SafetyError)
    expect(err.exitCode).toBe(4)
    const id = await meta.resolveRegistration('com.only')
    expect((await meta.describe(id)).callees[0]!.state).toBe('active')
    const forced = await runDrain(meta, plan, { timeoutMs: 1000, then: 'none', force: true })
    expect(forced).toMatchObject({ forced: true, result: { drained: true, outcome: 'none' } })
    expect((await meta.describe(id)).callees[0]!.state).toBe('cordoned')
  })

  it('is refused for an anonymous session (not authorized)', async () => {
    const { router, a } = await twoCallees()
    const anon = await opsMeta(router.url, true)
    const plan = await prepareDrain(anon, String(a.id))
    const err = await rejection(runDrain(anon, plan, { timeoutMs: 1000, then: 'none', force: false }))
    expect(err).toBeInstanceOf(NotAuthorizedError)
    const meta = await opsMeta(router.url)
    expect((await meta.describe(await meta.resolveRegistration('com.work'))).callees.map((c) => c.state)).toEqual(['active', 'active'])
  })

  it('says plainly that a router without the extensions cannot drain, pointing at evict', async () => {
    const { router, a } = await twoCallees(false)
    const meta = await opsMeta(router.url)
    const err = await rejection(prepareDrain(meta, String(a.id)))
    expect(err).toBeInstanceOf(UnsupportedError)
    expect(err.message).toContain('cannot drain callees')
    expect(err.message).toContain('wampctl evict')
  })
})
