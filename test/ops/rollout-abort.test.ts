import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { NotFoundError, RolledBackError } from '../../src/client/errors.js'
import {
  abortRollout,
  rolloutStatus,
  runCanary,
  runReplace,
  RolloutStore,
  type CanaryOptions,
  type RolloutEvent,
} from '../../src/ops/rollout/index.js'
import { startRouter } from '../support/router.js'
import { opsMeta, ROUTER_OPTIONS, startCallee, startLoad, until, URI } from './rollout-fixture.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function store(): RolloutStore {
  const d = mkdtempSync(join(tmpdir(), 'wampctl-abort-'))
  dirs.push(d)
  return new RolloutStore(d, 'realm1', URI)
}

describe('rollout status and abort (src/ops/rollout)', () => {
  it('status shows the running step; abort stops the runner and restores the starting weights', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'new')
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[0]!.session, 2)
    await meta.setWeight(reg, old[1]!.session, 5)
    const load = await startLoad(router.url)
    const events: RolloutEvent[] = []
    const s = store()
    const run = runCanary(meta, {
      uri: URI,
      canary: { session: canary.session },
      waitMs: 5000,
      steps: [50, 100],
      intervalMs: 60_000,
      gates: { maxErrorRate: 0.01, maxP99Ms: null, minCalls: 1 },
      onIdle: 'hold',
      onSuccess: 'retire-old',
      drainTimeoutMs: 5000,
      timeoutMs: null,
      sampleMs: null,
      store: s,
      onEvent: (e) => events.push(e),
    }).catch((e: unknown) => e)
    await until(() => events.some((e) => e.event === 'step'), 'the first step')

    const status = await rolloutStatus(meta, s, URI)
    expect(status.rollout?.kind).toBe('canary')
    expect(status.rollout?.step).toBe(1)
    expect(status.rollout?.percent).toBe(50)
    expect(status.rollout?.runner).toBe('running')
    const byRole = Object.fromEntries(status.callees.map((c) => [c.session, c]))
    expect(byRole[canary.session]!.role).toBe('canary')
    expect(byRole[canary.session]!.weight).toBe(7) // 50% next to 2 + 5
    expect(byRole[old[0]!.session]!.start_weight).toBe(2)

    const aborted = await abortRollout(meta, s, URI)
    expect(aborted.runner).toBe('stopped')
    expect(await run).toBeInstanceOf(RolledBackError)
    await load.answered(20)
    const report = await load.stop()
    expect(report.failed).toBe(0)
    const after = new Map((await meta.describe(reg)).callees.map((c) => [c.session, c]))
    expect(after.get(old[0]!.session)!.weight).toBe(2)
    expect(after.get(old[1]!.session)!.weight).toBe(5)
    expect(after.get(canary.session)!.weight).toBe(0)
    expect([...after.values()].every((c) => c.state === 'active')).toBe(true)
    expect(s.read()).toBeNull()
    expect(aborted.restored.map((r) => r.weight)).toEqual([2, 5])
    expect(aborted.canary).toEqual({ session: canary.session, weight: 0 })
  })

  it('status without a rollout lists the callees; abort without one is not found (exit 3)', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const a = await startCallee(router.url, 'autobahn', 'old')
    const meta = await opsMeta(router.url)
    const s = store()
    const status = await rolloutStatus(meta, s, URI)
    expect(status.rollout).toBeNull()
    expect(status.callees.map((c) => [c.session, c.role, c.weight, c.state])).toEqual([[a.session, 'other', 1, 'active']])
    const err = await abortRollout(meta, s, URI).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotFoundError)
    expect((err as NotFoundError).exitCode).toBe(3)
  })

  it('--on-success keep leaves the old callees at weight 0 with a record that abort restores from', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[1]!.session, 4)
    const load = await startLoad(router.url)
    const s = store()
    const result = await runCanary(meta, keepOptions(canary.session, s))
    expect(result.kept.map((c) => c.session)).toEqual(old.map((c) => c.session))
    expect(result.retired).toEqual([])
    let now = new Map((await meta.describe(reg)).callees.map((c) => [c.session, c]))
    expect(old.map((c) => now.get(c.session)!.weight)).toEqual([0, 0])
    expect(s.read()?.status).toBe('promoted')
    expect((await rolloutStatus(meta, s, URI)).rollout?.runner).toBe('finished')

    const aborted = await abortRollout(meta, s, URI)
    expect(aborted.runner).toBe('gone')
    await load.answered(30)
    const report = await load.stop()
    expect(report.failed).toBe(0)
    now = new Map((await meta.describe(reg)).callees.map((c) => [c.session, c]))
    expect(old.map((c) => now.get(c.session)!.weight)).toEqual([1, 4])
    expect(now.get(canary.session)!.weight).toBe(0)
    expect(s.read()).toBeNull()
  })

  it('a replace after a kept canary inherits its starting weights, and puts the record back when it times out', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = await startCallee(router.url, 'wampy', 'old')
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old.session, 3)
    const load = await startLoad(router.url)
    const s = store()
    await runCanary(meta, keepOptions(canary.session, s))
    const err = await runReplace(meta, {
      uri: URI,
      count: 2,
      newAuthid: 'svc-v2',
      minAvailable: 1,
      timeoutMs: 300,
      drainTimeoutMs: 5000,
      store: s,
    }).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/only 1 of 2 new callee/)
    expect(s.read()).toMatchObject({ kind: 'canary', status: 'promoted', old: [{ session: old.session, weight: 3 }] })
    const events: RolloutEvent[] = []
    const run = runReplace(meta, {
      uri: URI,
      count: 2,
      newAuthid: 'svc-v2',
      minAvailable: 1,
      timeoutMs: 20_000,
      drainTimeoutMs: 5000,
      store: s,
      onEvent: (e) => events.push(e),
    })
    await until(() => events.some((e) => e.event === 'waiting'), 'the replace to wait')
    expect(s.read()).toMatchObject({ kind: 'replace', old: [{ session: old.session, weight: 3 }] })
    const second = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const result = await run
    expect(result.retired.map((r) => [r.session, r.outcome])).toEqual([[old.session, 'unregistered']])
    const report = await load.stop()
    expect(report.failed).toBe(0)
    expect((await meta.describe(reg)).callees.map((c) => c.session).sort()).toEqual([canary.session, second.session].sort())
    expect(s.read()).toBeNull()
  })
})

function keepOptions(canary: number, s: RolloutStore): CanaryOptions {
  return {
    uri: URI,
    canary: { session: canary },
    waitMs: 5000,
    steps: [50, 100],
    intervalMs: 250,
    gates: { maxErrorRate: 0.01, maxP99Ms: null, minCalls: 1 },
    onIdle: 'hold',
    onSuccess: 'keep',
    drainTimeoutMs: 5000,
    timeoutMs: null,
    sampleMs: null,
    store: s,
  }
}
