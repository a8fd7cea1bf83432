import { describe, expect, it } from 'vitest'
import { SafetyError } from '../../src/client/errors.js'
import { followRollout } from '../../src/ops/rollout/index.js'
import type { RolloutEvent, RolloutRecord } from '../../src/protocol/rollout.js'
import { startRouter } from '../support/router.js'
import {
  canarySpec,
  FAIL_URI,
  HEALTH_URI,
  opsMeta,
  opsRollouts,
  ROUTER_OPTIONS,
  startCallee,
  startLoad,
  until,
  URI,
} from './rollout-fixture.js'

type Gate = Extract<RolloutEvent, { event: 'gate' }>

/** Pause, resume, promote, promote --full, probes, failure limits, dry-run analysis and undo, under load. */
describe('steering and analysis of rollouts in the router', () => {
  it('pauses at a pause step (checks go on, no step advances) until resumed; pause and promote at any time; promote ends a pause', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    await startCallee(router.url, 'wampy', 'old')
    await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2', weight: 0 })
    const load = await startLoad(router.url)
    await load.answered(30)
    const rc = await opsRollouts(router.url)
    const events: RolloutEvent[] = []
    // So many passed checks needed per step that only resume and promote move this rollout on.
    const spec = canarySpec({ success_limit: 1_000_000, steps: [{ percent: 20 }, { pause_ms: null }, { percent: 50 }, { percent: 100 }] })
    const run = followRollout(rc, { spec }, { onEvent: (e) => events.push(e) })
    const count = (kind: string): number => events.filter((e) => e.event === kind).length
    await until(() => events.some((e) => e.event === 'gate' && e.action === 'hold'), 'a held check at 20%')
    await rc.promote(URI)
    await until(() => count('paused') === 1, 'the pause step')
    const pausedAt = events.length
    // While paused the checks go on (held), and the share stays at 20%.
    await until(
      () => events.slice(pausedAt).filter((e) => e.event === 'gate' && e.action === 'hold').length >= 2,
      'two held checks while paused',
    )
    expect(events.slice(pausedAt).some((e) => e.event === 'step')).toBe(false)
    let status = await rc.status(URI)
    expect([status.status, status.step, status.percent, status.paused?.until]).toEqual(['paused', 2, 20, null])
    await rc.resume(URI)
    await until(() => events.some((e) => e.event === 'step' && e.percent === 50), 'the 50% step after resume')
    // An operator's pause holds the 50% step; promote moves on at once (and ends the pause).
    await rc.pause(URI)
    await until(() => count('paused') === 2, 'the second pause')
    status = await rc.status(URI)
    expect([status.status, status.percent, status.paused?.by]).toEqual(['paused', 50, 'ops'])
    await rc.promote(URI)
    await until(() => events.some((e) => e.event === 'step' && e.percent === 100), 'the 100% step after promote')
    expect((await rc.status(URI)).paused).toBeNull()
    await rc.promote(URI)
    const final = await run
    const report = await load.stop()
    expect(final.outcome).toBe('promoted')
    expect(events.filter((e) => e.event === 'step').map((e) => (e.event === 'step' ? e.percent : 0))).toEqual([20, 50, 100])
    expect(events.filter((e) => e.event === 'resumed').map((e) => (e.event === 'resumed' ? e.by : ''))).toEqual(['ops'])
    expect(report.failed).toBe(0)
  })

  it('promote --full skips the remaining steps and their checks', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const canary = await startCallee(router.url, 'wampy', 'new', { weight: 0 })
    const load = await startLoad(router.url)
    await load.answered(20)
    const rc = await opsRollouts(router.url)
    const events: RolloutEvent[] = []
    // Checks an hour apart: only a promote can move this rollout on.
    const spec = canarySpec({
      canary: { session: canary.session },
      interval_ms: 3_600_000,
      steps: [10, 20, 30, 50, 100].map((percent) => ({ percent })),
    })
    const run = followRollout(rc, { spec }, { onEvent: (e) => events.push(e) })
    await until(() => events.some((e) => e.event === 'step'), 'the first step')
    await rc.promote(URI, true)
    const final = await run
    const report = await load.stop()
    expect(final.outcome).toBe('promoted')
    expect(events.filter((e) => e.event === 'step').map((e) => (e.event === 'step' ? e.percent : 0))).toEqual([10, 100])
    expect(events.some((e) => e.event === 'gate')).toBe(false)
    expect(report.failed).toBe(0)
  })

  it('a failing probe rolls back within --failure-limit while the error-rate gate alone passes; the probe reaches the canary only', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [
      await startCallee(router.url, 'autobahn', 'old', { health: 'ok' }),
      await startCallee(router.url, 'wampy', 'old', { health: 'ok' }),
    ]
    // It serves every call well, but its health check fails.
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2', weight: 0, health: 'fail' })
    const load = await startLoad(router.url)
    await load.answered(30)
    const rc = await opsRollouts(router.url)
    const events: RolloutEvent[] = []
    const final = await followRollout(rc, { spec: canarySpec({ probe: HEALTH_URI, failure_limit: 3 }) }, { onEvent: (e) => events.push(e) })
    const report = await load.stop()

    const gates = events.filter((e): e is Gate => e.event === 'gate')
    expect(final.outcome).toBe('rolled_back')
    expect(final.reason).toMatch(/probe com\.example\.svc\.health .* failed: com\.example\.unhealthy/)
    // Three consecutive failed checks: held twice, rolled back at the third; traffic alone passed each time.
    expect(gates.map((g) => [g.verdict, g.action, g.failures])).toEqual([
      ['breach', 'hold', 1],
      ['breach', 'hold', 2],
      ['breach', 'rollback', 3],
    ])
    for (const g of gates) {
      expect(g.probe).toMatchObject({ ok: false, session: canary.session, error: 'com.example.unhealthy' })
      expect(g.window.canary.calls).toBeGreaterThan(0)
      expect(g.window.canary.errors).toBe(0)
    }
    expect(canary.probes).toBe(3)
    expect(old.map((o) => o.probes)).toEqual([0, 0])
    expect(report.failed).toBe(0)
  })

  it('--dry-run-analysis reports a breach and does not roll back; abort then leaves the canary as a rollback would', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = await startCallee(router.url, 'autobahn', 'old')
    const canary = await startCallee(router.url, 'wampy', 'fail', { weight: 0 })
    const load = await startLoad(router.url)
    await load.answered(20)
    const rc = await opsRollouts(router.url)
    const events: RolloutEvent[] = []
    const spec = canarySpec({
      canary: { session: canary.session },
      dry_run_analysis: true,
      steps: [{ percent: 10 }, { pause_ms: null }, { percent: 100 }],
    })
    const run = followRollout(rc, { spec }, { onEvent: (e) => events.push(e) })
    await until(() => events.some((e) => e.event === 'gate' && e.verdict === 'breach' && e.action === 'report'), 'a reported breach')
    await until(() => events.some((e) => e.event === 'paused'), 'the pause step (the breach did not stop the rollout)')
    const status = await rc.status(URI)
    expect(status.outcome).toBeNull()
    expect(status.last_gate?.verdict).toBe('breach')
    expect(events.some((e) => e.event === 'rollback')).toBe(false)
    const aborted = await rc.abort(URI)
    const final = await run
    const report = await load.stop()
    expect(final.id).toBe(aborted.id)
    expect(final.outcome).toBe('aborted')
    expect(Object.keys(report.failures)).toEqual([FAIL_URI])
    const meta = await opsMeta(router.url)
    const after = new Map((await meta.describe(await meta.resolveRegistration(URI))).callees.map((c) => [c.session, [c.weight, c.state]]))
    expect(after.get(old.session)).toEqual([1, 'active'])
    expect(after.get(canary.session)).toEqual([0, 'cordoned'])
  })

  it('undo shifts the traffic back to the kept previous version (weights restored), once; says why not otherwise', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2', weight: 0 })
    const load = await startLoad(router.url)
    await load.answered(20)
    const rc = await opsRollouts(router.url)
    const meta = await opsMeta(router.url)
    const weights = async (): Promise<Array<[number, number | null, string]>> =>
      (await meta.describe(await meta.resolveRegistration(URI))).callees.map((c) => [c.session, c.weight, c.state])
    const final: RolloutRecord = await followRollout(rc, { spec: canarySpec({ on_success: 'keep' }) })
    expect(final.outcome).toBe('promoted')
    expect(final.kept.sort()).toEqual(old.map((o) => o.session).sort())
    expect(await weights()).toEqual([
      [old[0]!.session, 0, 'active'],
      [old[1]!.session, 0, 'active'],
      [canary.session, 1, 'active'],
    ])
    const before = load.report.answers.old ?? 0
    const undone = await rc.undo(URI)
    expect(undone.restored).toEqual(old.map((o) => ({ session: o.session, weight: 1 })))
    expect(undone.canary?.session).toBe(canary.session)
    expect(await weights()).toEqual([
      [old[0]!.session, 1, 'active'],
      [old[1]!.session, 1, 'active'],
      [canary.session, 0, 'cordoned'],
    ])
    await load.answered(20)
    expect(load.report.answers.old ?? 0).toBeGreaterThan(before)
    await expect(rc.undo(URI)).rejects.toThrow(/undone already/)
    expect((await rc.history(URI))[0]!.undone?.by).toBe('ops')
    // A rollout that retired the previous version cannot be undone, and says so.
    await meta.uncordon(canary.session)
    const second = await followRollout(rc, { spec: canarySpec({ canary: { session: canary.session } }) })
    expect(second.outcome).toBe('promoted')
    await expect(rc.undo(URI)).rejects.toThrow(SafetyError)
    await expect(rc.undo(URI)).rejects.toThrow(/retired when the canary was promoted/)
    expect((await load.stop()).failed).toBe(0)
  })
})
