import { describe, expect, it } from 'vitest'
import { followRollout, outcomeError } from '../../src/ops/rollout/index.js'
import type { ReplaceSpec, RolloutEvent } from '../../src/protocol/rollout.js'
import { startRouter } from '../support/router.js'
import { opsMeta, opsRollouts, ROUTER_OPTIONS, startCallee, startLoad, until, URI } from './rollout-fixture.js'

function spec(o: Partial<ReplaceSpec> = {}): ReplaceSpec {
  return { kind: 'replace', uri: URI, count: 3, new_authid: null, min_available: 1, timeout_ms: 30_000, drain_timeout_ms: 10_000, ...o }
}

/** Rolling replacement run by the router (wampctl.rollout.start with kind 'replace'). */
describe('rollout replace in the router', () => {
  it('swaps 3 instances for 3 under continuous load with zero failed calls', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [
      await startCallee(router.url, 'autobahn', 'old'),
      await startCallee(router.url, 'wampy', 'old'),
      await startCallee(router.url, 'autobahn', 'old'),
    ]
    const load = await startLoad(router.url)
    await load.answered(50)
    const rc = await opsRollouts(router.url)
    const events: RolloutEvent[] = []
    const run = followRollout(rc, { spec: spec() }, { onEvent: (e) => events.push(e) })
    await until(() => events.some((e) => e.event === 'waiting'), 'the replace to wait for new callees')
    const fresh = [
      await startCallee(router.url, 'wampy', 'new'),
      await startCallee(router.url, 'autobahn', 'new'),
      await startCallee(router.url, 'wampy', 'new'),
    ]
    const final = await run
    await load.answered(50)
    const report = await load.stop()
    console.log(`[rollout-replace] calls ${report.calls} ok ${report.ok} failed ${report.failed} answers ${JSON.stringify(report.answers)}`)

    expect(final.outcome).toBe('completed')
    expect(outcomeError(final)).toBeNull()
    expect(report.failed).toBe(0)
    expect(report.answers.new).toBeGreaterThan(0)
    expect(final.new_sessions.sort()).toEqual(fresh.map((c) => c.session).sort())
    expect(final.retired).toEqual(old.map((c) => c.session))
    const meta = await opsMeta(router.url)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.session).sort()).toEqual(fresh.map((c) => c.session).sort())
    // No old callee was drained before the third new one served.
    const third = events.findIndex((e) => e.event === 'new-callee' && e.have === 3)
    const firstRetire = events.findIndex((e) => e.event === 'retire')
    expect(third).toBeGreaterThanOrEqual(0)
    expect(firstRetire).toBeGreaterThan(third)
  })

  it('counts callees with new_authid as new, even those registered before it started', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = await startCallee(router.url, 'wampy', 'old')
    const early = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const rc = await opsRollouts(router.url)
    const final = await followRollout(rc, { spec: spec({ count: 1, new_authid: 'svc-v2' }) })
    expect(final.new_sessions).toEqual([early.session])
    expect(final.retired).toEqual([old.session])
  })

  it('never drains below min_available: it holds, then times out (exit 5) with every old callee still serving', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const rc = await opsRollouts(router.url)
    const events: RolloutEvent[] = []
    const run = followRollout(rc, { spec: spec({ count: 1, min_available: 3, timeout_ms: 1500 }) }, { onEvent: (e) => events.push(e) })
    await until(() => events.some((e) => e.event === 'waiting'), 'the replace to wait for new callees')
    await startCallee(router.url, 'autobahn', 'new')
    const final = await run
    expect(final.outcome).toBe('timed_out')
    expect(outcomeError(final)?.exitCode).toBe(5)
    expect(final.reason).toMatch(/min-available 3/)
    expect(events.some((e) => e.event === 'holding')).toBe(true)
    expect(events.some((e) => e.event === 'retire')).toBe(false)
    const meta = await opsMeta(router.url)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    for (const c of old) expect(after.callees.find((x) => x.session === c.session)?.state).toBe('active')
  })

  it('times out (exit 5) when too few new callees come, draining nothing; it has no steps to pause', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const rc = await opsRollouts(router.url)
    const events: RolloutEvent[] = []
    const run = followRollout(rc, { spec: spec({ count: 2, timeout_ms: 1000 }) }, { onEvent: (e) => events.push(e) })
    await until(() => events.some((e) => e.event === 'waiting'), 'the replace to wait')
    await expect(rc.pause(URI)).rejects.toThrow(/no steps to pause/)
    const final = await run
    expect(final.outcome).toBe('timed_out')
    expect(final.reason).toMatch(/only 0 of 2 new callee/)
    const meta = await opsMeta(router.url)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.state)).toEqual(['active'])
  })
})
