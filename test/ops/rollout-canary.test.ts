import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RolledBackError, SafetyError, TimeoutError, UnsupportedError } from '../../src/client/errors.js'
import { runCanary, RolloutStore, type CanaryOptions, type RolloutEvent } from '../../src/ops/rollout/index.js'
import { startRouter } from '../support/router.js'
import { FAIL_URI, opsMeta, ROUTER_OPTIONS, startCallee, startLoad, until, URI } from './rollout-fixture.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function store(): RolloutStore {
  const d = mkdtempSync(join(tmpdir(), 'wampctl-rollout-'))
  dirs.push(d)
  return new RolloutStore(d, 'realm1', URI)
}

function options(o: Partial<CanaryOptions> & Pick<CanaryOptions, 'canary' | 'store'>): CanaryOptions {
  return {
    uri: URI,
    waitMs: 10_000,
    steps: [25, 50, 100],
    intervalMs: 300,
    gates: { maxErrorRate: 0.01, maxP99Ms: null, minCalls: 1 },
    onIdle: 'hold',
    onSuccess: 'retire-old',
    drainTimeoutMs: 10_000,
    timeoutMs: null,
    sampleMs: null,
    ...o,
  }
}

describe('rollout canary (src/ops/rollout)', () => {
  it('promotes a healthy canary step by step under load and retires the old callees with zero failed calls', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [
      await startCallee(router.url, 'autobahn', 'old'),
      await startCallee(router.url, 'wampy', 'old'),
      await startCallee(router.url, 'autobahn', 'old'),
    ]
    const load = await startLoad(router.url)
    await load.answered(50)
    const meta = await opsMeta(router.url)
    const events: RolloutEvent[] = []
    const s = store()
    // The canary registers only once the rollout waits for it (found through --canary-authid).
    const run = runCanary(meta, options({ canary: { authid: 'svc-v2' }, store: s, onEvent: (e) => events.push(e) }))
    await until(() => events.some((e) => e.event === 'waiting'), 'the rollout to wait for the canary')
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const result = await run
    const report = await load.stop()

    expect(result.outcome).toBe('promoted')
    expect(result.canary.session).toBe(canary.session)
    expect(result.steps.map((s) => s.percent)).toEqual([25, 50, 100])
    expect(result.retired.map((r) => r.session).sort()).toEqual(old.map((c) => c.session).sort())
    expect(result.retired.every((r) => r.outcome === 'unregistered')).toBe(true)
    // Shares follow the steps: the canary's observed share rises step by step, and at 100% only it serves.
    const shares = result.steps.map((s) => s.share ?? -1)
    expect(shares[0]).toBeGreaterThan(0.05)
    expect(shares[0]).toBeLessThan(0.5)
    expect(shares[1]).toBeGreaterThan(shares[0]!)
    expect(result.steps[2]!.rest_calls).toBe(0)
    console.log(
      `[rollout-canary promote] calls ${report.calls} ok ${report.ok} failed ${report.failed}; shares ${shares.map((x) => x.toFixed(3)).join(' ')}`,
    )
    expect(report.failed).toBe(0)
    expect(report.answers.new).toBeGreaterThan(0)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.session)).toEqual([canary.session])
    expect(after.callees[0]!.weight).toBe(1)
    expect(s.read()).toBeNull()
    const step = events.filter((e) => e.event === 'step')
    expect(step.map((e) => (e.event === 'step' ? e.percent : 0))).toEqual([25, 50, 100])
  })

  it('rolls a failing canary back at the first interval: only the canary itself failed calls, the old weights are restored', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[0]!.session, 3)
    const canary = await startCallee(router.url, 'autobahn', 'fail')
    const load = await startLoad(router.url)
    await load.answered(50)
    const events: RolloutEvent[] = []
    const s = store()
    const err = await runCanary(meta, options({ canary: { session: canary.session }, store: s, onEvent: (e) => events.push(e) })).catch(
      (e: unknown) => e,
    )
    await load.answered(50)
    const report = await load.stop()

    expect(err).toBeInstanceOf(RolledBackError)
    expect((err as RolledBackError).exitCode).toBe(6)
    expect((err as Error).message).toMatch(/error rate/)
    // Within one interval: the first window's gate rolled it back, no second step began.
    expect(events.filter((e) => e.event === 'step')).toHaveLength(1)
    expect(events.filter((e) => e.event === 'gate')).toHaveLength(1)
    const fails = Object.keys(report.failures)
    console.log(
      `[rollout-canary rollback] calls ${report.calls} ok ${report.ok} failed ${report.failed} ${JSON.stringify(report.failures)}; canary invocations ${canary.invocations}`,
    )
    expect(fails.every((u) => u === FAIL_URI)).toBe(true)
    expect(report.failed).toBeLessThanOrEqual(canary.invocations)
    const after = await meta.describe(reg)
    const byId = new Map(after.callees.map((c) => [c.session, c]))
    expect(byId.get(old[0]!.session)!.weight).toBe(3)
    expect(byId.get(old[1]!.session)!.weight).toBe(1)
    expect(byId.get(old[0]!.session)!.state).toBe('active')
    expect(byId.get(canary.session)!.weight).toBe(0)
    expect(byId.get(canary.session)!.state).toBe('cordoned')
    expect(byId.get(canary.session)!.inflight).toBe(0)
    expect(s.read()).toBeNull()
  })

  it('rolls back when interrupted (Ctrl-C / SIGTERM) mid-step, failing no call', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'wampy', 'old'), await startCallee(router.url, 'autobahn', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'new')
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[0]!.session, 2)
    const load = await startLoad(router.url)
    const interrupt = new AbortController()
    const events: RolloutEvent[] = []
    const s = store()
    const run = runCanary(
      meta,
      options({
        canary: { session: canary.session },
        store: s,
        steps: [50, 100],
        intervalMs: 60_000,
        signal: interrupt.signal,
        onEvent: (e) => events.push(e),
      }),
    ).catch((e: unknown) => e)
    await until(() => events.some((e) => e.event === 'step'), 'the first step')
    await load.answered(30)
    interrupt.abort()
    const err = await run
    await load.answered(30)
    const report = await load.stop()
    expect(err).toBeInstanceOf(RolledBackError)
    expect((err as Error).message).toMatch(/interrupted/)
    expect(report.failed).toBe(0)
    const after = new Map((await meta.describe(reg)).callees.map((c) => [c.session, c]))
    expect(after.get(old[0]!.session)).toMatchObject({ weight: 2, state: 'active' })
    expect(after.get(old[1]!.session)).toMatchObject({ weight: 1, state: 'active' })
    expect(after.get(canary.session)).toMatchObject({ weight: 0, state: 'cordoned', inflight: 0 })
    expect(s.read()).toBeNull()
  })

  it('gives up waiting for a canary that never registers (exit 5) without changing anything', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const meta = await opsMeta(router.url)
    const s = store()
    const err = await runCanary(meta, options({ canary: { authid: 'nobody' }, store: s, waitMs: 300 })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).exitCode).toBe(5)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.weight)).toEqual([1])
    expect(s.read()).toBeNull()
  })

  it('refuses a second rollout of the same URI while one is recorded (exit 4)', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const meta = await opsMeta(router.url)
    const s = store()
    const first = runCanary(meta, options({ canary: { authid: 'later' }, store: s, waitMs: 5000, onIdle: 'rollback' })).catch(
      (e: unknown) => e,
    )
    await until(() => s.read() !== null, 'the state file')
    const err = await runCanary(meta, options({ canary: { authid: 'later' }, store: s })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SafetyError)
    expect((err as Error).message).toMatch(/rollout abort/)
    await startCallee(router.url, 'autobahn', 'fail', { authid: 'later' })
    expect(await first).toBeInstanceOf(RolledBackError)
  })

  it('refuses on a router without the extensions, and says how invoke last could serve', async () => {
    const router = await startRouter({ ...ROUTER_OPTIONS, extensions: false })
    await startCallee(router.url, 'autobahn', 'old')
    const meta = await opsMeta(router.url)
    const err = await runCanary(meta, options({ canary: { session: 1 }, store: store() })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnsupportedError)
    expect((err as Error).message).toMatch(/invoke 'last'/)
  })
})
