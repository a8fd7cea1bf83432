import { describe, expect, it } from 'vitest'
import { connFlags, runCli, spawnCli, tempConfigDir } from '../support/cli.js'
import { startRouter } from '../support/router.js'
import { FAIL_URI, OPS, opsMeta, ROUTER_OPTIONS, startCallee, startLoad, URI } from '../ops/rollout-fixture.js'

/**
 * `wampctl rollout canary|status|abort` as a child process (built CLI: `npm run build` first)
 * against a real router, real callees and continuous load in this process.
 */

const FAST = ['--steps', '25,50,100', '--interval', '300ms', '--drain-timeout', '10s', '--yes']

function ndjson(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('wampctl rollout canary (CLI)', () => {
  it('promotes a healthy canary (exit 0) and retires the old callees with zero failed calls; --json streams NDJSON', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [
      await startCallee(router.url, 'autobahn', 'old'),
      await startCallee(router.url, 'wampy', 'old'),
      await startCallee(router.url, 'autobahn', 'old'),
    ]
    const load = await startLoad(router.url)
    await load.answered(50)
    const cli = spawnCli(
      ['rollout', 'canary', URI, '--canary-authid', 'svc-v2', '--wait', '20s', ...FAST, '--json', ...connFlags(router.url, OPS)],
      { timeoutMs: 40_000 },
    )
    await cli.waitFor((out) => out.includes('"event":"waiting"'), 15_000)
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const res = await cli.done
    const report = await load.stop()

    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    const lines = ndjson(res.stdout)
    const result = lines[lines.length - 1]!
    expect(result.outcome).toBe('promoted')
    expect((result.canary as { session: number }).session).toBe(canary.session)
    expect(lines.filter((l) => l.event === 'step').map((l) => l.percent)).toEqual([25, 50, 100])
    const shares = lines.filter((l) => l.event === 'gate' && l.action === 'advance').map((l) => (l.window as { share: number }).share)
    console.log(
      `[cli rollout canary promote] calls ${report.calls} ok ${report.ok} failed ${report.failed}; canary share per step ${shares.map((s) => s.toFixed(3)).join(' ')}`,
    )
    expect(shares).toHaveLength(3)
    expect(shares[0]).toBeGreaterThan(0.05)
    expect(shares[0]).toBeLessThan(0.5)
    expect(shares[2]).toBe(1)
    expect(
      lines
        .filter((l) => l.event === 'retired')
        .map((l) => (l.callee as { session: number }).session)
        .sort(),
    ).toEqual(old.map((c) => c.session).sort())
    expect(report.failed).toBe(0)
    const meta = await opsMeta(router.url)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.session)).toEqual([canary.session])
  })

  it('rolls a failing canary back within one interval (exit 6); no call fails but those the canary failed', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'wampy', 'old'), await startCallee(router.url, 'autobahn', 'old')]
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[1]!.session, 2)
    const canary = await startCallee(router.url, 'autobahn', 'fail')
    await meta.setWeight(reg, canary.session, 0) // no traffic to the canary before the rollout starts
    const load = await startLoad(router.url)
    await load.answered(50)
    const res = await runCli(['rollout', 'canary', URI, '--canary', String(canary.session), ...FAST, ...connFlags(router.url, OPS)], {
      timeoutMs: 30_000,
    })
    await load.answered(50)
    const report = await load.stop()
    console.log(
      `[cli rollout canary rollback] calls ${report.calls} ok ${report.ok} failed ${report.failed} ${JSON.stringify(report.failures)}; canary invocations ${canary.invocations}`,
    )

    expect(res.code).toBe(6)
    expect(res.stderr).toMatch(
      /^wampctl: rolled back com\.example\.svc: step 1 \(25%\): canary error rate [\d.]+% \(\d+ of \d+ calls\) is above --max-error-rate 1%/,
    )
    expect(res.stdout).toMatch(/step 1\/3: 25%/)
    expect(res.stdout).not.toMatch(/step 2\/3/)
    expect(res.stdout).toMatch(/ROLLED BACK/)
    expect(Object.keys(report.failures)).toEqual([FAIL_URI])
    expect(report.failed).toBe(canary.invocations)
    const after = new Map((await meta.describe(reg)).callees.map((c) => [c.session, c]))
    expect(after.get(old[0]!.session)).toMatchObject({ weight: 1, state: 'active' })
    expect(after.get(old[1]!.session)).toMatchObject({ weight: 2, state: 'active' })
    expect(after.get(canary.session)).toMatchObject({ weight: 0, state: 'cordoned', inflight: 0 })
  })

  it('status shows a running rollout from another shell; abort restores the starting weights and stops the runner (exit 6)', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'new')
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[0]!.session, 3)
    const load = await startLoad(router.url)
    const env = { WAMPCTL_CONFIG_DIR: tempConfigDir() }
    const flags = connFlags(router.url, OPS)
    const runner = spawnCli(
      ['rollout', 'canary', URI, '--canary', String(canary.session), '--steps', '50,100', '--interval', '60s', '--yes', '--json', ...flags],
      { env, timeoutMs: 40_000 },
    )
    await runner.waitFor((out) => out.includes('"event":"step"'), 15_000)

    const status = await runCli(['rollout', 'status', URI, '--json', ...flags], { env })
    expect(status.code).toBe(0)
    const view = JSON.parse(status.stdout) as {
      rollout: { kind: string; step: number; percent: number; runner: string; pid: number }
      callees: Array<{ session: number; role: string; weight: number; start_weight: number }>
    }
    expect(view.rollout).toMatchObject({ kind: 'canary', step: 1, percent: 50, runner: 'running', pid: runner.pid })
    expect(view.callees.find((c) => c.session === canary.session)).toMatchObject({ role: 'canary', weight: 4 })
    expect(view.callees.find((c) => c.session === old[0]!.session)).toMatchObject({ role: 'old', weight: 3, start_weight: 3 })

    const refused = await runCli(['rollout', 'abort', URI, ...flags], { env })
    expect(refused.code).toBe(4)
    const aborted = await runCli(['rollout', 'abort', URI, '--yes', ...flags], { env })
    expect(aborted.stderr).toBe('')
    expect(aborted.code).toBe(0)
    expect(aborted.stdout).toMatch(/aborted the canary rollout of com\.example\.svc \(runner stopped\)/)
    const ended = await runner.done
    expect(ended.code).toBe(6)
    await load.answered(20)
    const report = await load.stop()
    expect(report.failed).toBe(0)
    const after = new Map((await meta.describe(reg)).callees.map((c) => [c.session, c]))
    expect(after.get(old[0]!.session)).toMatchObject({ weight: 3, state: 'active' })
    expect(after.get(old[1]!.session)).toMatchObject({ weight: 1, state: 'active' })
    expect(after.get(canary.session)).toMatchObject({ weight: 0, state: 'active' })
    const gone = await runCli(['rollout', 'status', URI, '--json', ...flags], { env })
    expect((JSON.parse(gone.stdout) as { rollout: unknown }).rollout).toBeNull()
  })

  it('refuses on a router without weights, naming invoke last as the crude alternative', async () => {
    const router = await startRouter({ ...ROUTER_OPTIONS, extensions: false })
    const a = await startCallee(router.url, 'autobahn', 'old')
    const res = await runCli(['rollout', 'canary', URI, '--canary', String(a.session), '--yes', ...connFlags(router.url, OPS)])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/no traffic weights/)
    expect(res.stderr).toMatch(/invoke 'last'/)
    expect(res.stderr.trim().split('\n')).toHaveLength(1)
  })
})
