import { describe, expect, it } from 'vitest'
import { NotAuthorizedError, NotFoundError, SafetyError, UnsupportedError } from '../../src/client/errors.js'
import { followRollout } from '../../src/ops/rollout/index.js'
import type { RolloutEvent } from '../../src/protocol/rollout.js'
import { startRouter } from '../support/router.js'
import { canarySpec, FAIL_URI, opsMeta, opsRollouts, ROUTER_OPTIONS, startCallee, startLoad, until, URI } from './rollout-fixture.js'

/** Canary rollouts run by the router (wampctl.rollout.*), driven through src/client and src/ops. */
describe('rollout canary in the router', () => {
  it('promotes a healthy dark canary step by step under load, retires the old callees, records who and how: zero failed calls', async () => {
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
    const run = followRollout(rc, { spec: canarySpec() }, { onEvent: (e) => events.push(e) })
    await until(() => events.some((e) => e.event === 'waiting'), 'the rollout to wait for the canary')
    // The canary registers dark (_weight 0): it serves nothing before the rollout gives it a share.
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2', weight: 0 })
    const final = await run
    const report = await load.stop()

    expect(final.outcome).toBe('promoted')
    expect(final.canary?.session).toBe(canary.session)
    expect(final.canary?.weight).toBe(0)
    expect(final.started_by.authid).toBe('ops')
    expect(final.steps.map((s) => s.percent)).toEqual([25, 50, 100])
    expect(final.retired.sort()).toEqual(old.map((c) => c.session).sort())
    const shares = final.steps.map((s) => s.share ?? -1)
    expect(shares[0]).toBeGreaterThan(0.05)
    expect(shares[0]).toBeLessThan(0.5)
    expect(shares[1]).toBeGreaterThan(shares[0]!)
    expect(final.steps[2]!.rest_calls).toBe(0)
    console.log(
      `[rollout canary promote] calls ${report.calls} ok ${report.ok} failed ${report.failed}; shares ${shares.map((x) => x.toFixed(3)).join(' ')}`,
    )
    expect(report.failed).toBe(0)
    expect(events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['started', 'waiting', 'canary', 'step', 'gate', 'promoted', 'retire', 'retired', 'completed']),
    )
    const meta = await opsMeta(router.url)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => [c.session, c.weight])).toEqual([[canary.session, 1]])
    // Nothing runs any more; the history has it, newest first.
    expect(await rc.list()).toEqual([])
    const history = await rc.history(URI)
    expect(history.map((r) => [r.id, r.outcome])).toEqual([[final.id, 'promoted']])
    expect((await rc.status(URI)).outcome).toBe('promoted')
  })

  it('rolls a failing canary back at the first check: only the canary failed calls; old weights back, the canary weight 0 and cordoned', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'fail', { authid: 'svc-v2', weight: 0 })
    const load = await startLoad(router.url)
    await load.answered(30)
    const rc = await opsRollouts(router.url)
    const final = await followRollout(rc, { spec: canarySpec({ steps: [{ percent: 50 }, { percent: 100 }] }) })
    const report = await load.stop()

    expect(final.outcome).toBe('rolled_back')
    expect(final.reason).toMatch(/error rate .* above --max-error-rate/)
    expect(final.reason).toMatch(/weight 0, cordoned/)
    expect(final.last_gate?.action).toBe('rollback')
    // Only the canary's own failures reached callers, and it had a share only for one check.
    expect(Object.keys(report.failures)).toEqual([FAIL_URI])
    expect(report.failed).toBe(canary.invocations)
    const meta = await opsMeta(router.url)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    const byId = new Map(after.callees.map((c) => [c.session, c]))
    for (const o of old) expect([byId.get(o.session)?.weight, byId.get(o.session)?.state]).toEqual([1, 'active'])
    expect([byId.get(canary.session)?.weight, byId.get(canary.session)?.state]).toEqual([0, 'cordoned'])
  })

  it('refuses (before changing anything) a second rollout of a URI, a non-admin, and a canary with nothing to fall back on', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const load = await startLoad(router.url)
    const rc = await opsRollouts(router.url)
    const anon = await opsRollouts(router.url, true)
    // Anonymous: refused by the router before it records anything; it may still read.
    await expect(anon.start(canarySpec())).rejects.toThrow(NotAuthorizedError)
    await expect(anon.status(URI)).rejects.toThrow(NotFoundError)
    expect(await anon.list()).toEqual([])
    const first = await rc.start(canarySpec({ wait_ms: 60_000 }))
    await expect(rc.start(canarySpec())).rejects.toThrow(SafetyError)
    await expect(anon.abort(URI)).rejects.toThrow(NotAuthorizedError)
    await expect(anon.pause(URI)).rejects.toThrow(NotAuthorizedError)
    expect((await rc.list()).map((r) => r.id)).toEqual([first.id])
    const aborted = await rc.abort(URI)
    expect(aborted.outcome).toBe('aborted')
    expect(aborted.reason).toMatch(/nothing was changed/)
    await expect(rc.abort(URI)).rejects.toThrow(NotFoundError)
    // The canary is the only callee: nothing to compare with.
    const meta = await opsMeta(router.url)
    const only = (await meta.describe(await meta.resolveRegistration(URI))).callees[0]!.session
    await expect(rc.start(canarySpec({ canary: { session: only } }))).rejects.toThrow(/nothing to compare the canary with/)
    expect(await rc.list()).toEqual([])
    expect((await load.stop()).failed).toBe(0)
  })

  it('says plainly that a router without the extension cannot run rollouts', async () => {
    const router = await startRouter({ ...ROUTER_OPTIONS, extensions: false })
    const rc = await opsRollouts(router.url)
    await expect(rc.start(canarySpec())).rejects.toThrow(UnsupportedError)
    await expect(rc.status(URI)).rejects.toThrow(/cannot run rollouts/)
  })
})
