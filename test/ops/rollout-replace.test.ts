import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TimeoutError, UnsupportedError } from '../../src/client/errors.js'
import { runReplace, RolloutStore, type ReplaceOptions, type RolloutEvent } from '../../src/ops/rollout/index.js'
import { startRouter } from '../support/router.js'
import { opsMeta, ROUTER_OPTIONS, startCallee, startLoad, until, URI } from './rollout-fixture.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function store(): RolloutStore {
  const d = mkdtempSync(join(tmpdir(), 'wampctl-replace-'))
  dirs.push(d)
  return new RolloutStore(d, 'realm1', URI)
}

function options(o: Partial<ReplaceOptions> & Pick<ReplaceOptions, 'store'>): ReplaceOptions {
  return { uri: URI, count: 3, newAuthid: null, minAvailable: 1, timeoutMs: 30_000, drainTimeoutMs: 10_000, ...o }
}

describe('rollout replace (src/ops/rollout)', () => {
  it('swaps 3 instances for 3 under continuous load with zero failed calls', async () => {
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
    const run = runReplace(meta, options({ store: s, onEvent: (e) => events.push(e) }))
    await until(() => events.some((e) => e.event === 'waiting'), 'the replace to wait for new callees')
    const fresh = [
      await startCallee(router.url, 'wampy', 'new'),
      await startCallee(router.url, 'autobahn', 'new'),
      await startCallee(router.url, 'wampy', 'new'),
    ]
    const result = await run
    await load.answered(50)
    const report = await load.stop()
    console.log(`[rollout-replace] calls ${report.calls} ok ${report.ok} failed ${report.failed} answers ${JSON.stringify(report.answers)}`)

    expect(report.failed).toBe(0)
    expect(report.answers.new).toBeGreaterThan(0)
    expect(result.new.map((c) => c.session).sort()).toEqual(fresh.map((c) => c.session).sort())
    expect(result.retired.map((c) => c.session)).toEqual(old.map((c) => c.session))
    expect(result.retired.every((r) => r.outcome === 'unregistered')).toBe(true)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.session).sort()).toEqual(fresh.map((c) => c.session).sort())
    // No old callee was drained before the third new one served.
    const third = events.findIndex((e) => e.event === 'new-callee' && e.have === 3)
    const firstRetire = events.findIndex((e) => e.event === 'retire')
    expect(third).toBeGreaterThanOrEqual(0)
    expect(firstRetire).toBeGreaterThan(third)
    expect(s.read()).toBeNull()
  })

  it('counts callees with --new-authid as new, even those registered before it started', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = await startCallee(router.url, 'wampy', 'old')
    const early = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const meta = await opsMeta(router.url)
    const result = await runReplace(meta, options({ store: store(), count: 1, newAuthid: 'svc-v2' }))
    expect(result.new.map((c) => c.session)).toEqual([early.session])
    expect(result.retired.map((c) => c.session)).toEqual([old.session])
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.session)).toEqual([early.session])
  })

  it('never drains below --min-available: it holds, then times out (exit 5) with every old callee still serving', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const meta = await opsMeta(router.url)
    const events: RolloutEvent[] = []
    const s = store()
    const run = runReplace(meta, options({ store: s, count: 1, minAvailable: 3, timeoutMs: 1500, onEvent: (e) => events.push(e) })).catch(
      (e: unknown) => e,
    )
    await until(() => events.some((e) => e.event === 'waiting'), 'the replace to wait for new callees')
    await startCallee(router.url, 'autobahn', 'new')
    const err = await run
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).exitCode).toBe(5)
    expect((err as Error).message).toMatch(/min-available 3/)
    expect(events.some((e) => e.event === 'holding')).toBe(true)
    expect(events.some((e) => e.event === 'retire')).toBe(false)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    for (const c of old) expect(after.callees.find((x) => x.session === c.session)?.state).toBe('active')
    expect(s.read()).toBeNull()
  })

  it('times out (exit 5) when too few new callees come, draining nothing', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const meta = await opsMeta(router.url)
    const err = await runReplace(meta, options({ store: store(), count: 2, timeoutMs: 400 })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as Error).message).toMatch(/only 0 of 2 new callee/)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.state)).toEqual(['active'])
  })

  it('refuses on a router that cannot drain', async () => {
    const router = await startRouter({ ...ROUTER_OPTIONS, extensions: false })
    await startCallee(router.url, 'autobahn', 'old')
    const meta = await opsMeta(router.url)
    const err = await runReplace(meta, options({ store: store() })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnsupportedError)
    expect((err as Error).message).toMatch(/cannot drain/)
  })
})
