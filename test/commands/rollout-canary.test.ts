import { describe, expect, it } from 'vitest'
import { RolloutUri } from '../../src/protocol/rollout.js'
import { connFlags, runCli, spawnCli, tempConfigDir } from '../support/cli.js'
import { startRouter } from '../support/router.js'
import { FAIL_URI, OPS, opsMeta, opsRollouts, ROUTER_OPTIONS, startCallee, startLoad, until, URI } from '../ops/rollout-fixture.js'

/**
 * `wampctl rollout …` as child processes (built CLI: `npm run build` first) against a real router
 * that runs the rollouts, real callees and continuous load in this process. Every runCli gets its
 * own empty config dir: nothing is shared between the commands but the router.
 */

const FAST = ['--interval', '300ms', '--drain-timeout', '10s', '--yes']

// Tests that start several CLI processes (about a second each, more on a busy machine) get 90 s.

function ndjson(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('wampctl rollout canary (CLI)', () => {
  it('promotes a healthy canary (exit 0) with zero failed calls; --json streams NDJSON events, then the final record', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const load = await startLoad(router.url)
    await load.answered(50)
    const cli = spawnCli(
      ['rollout', 'canary', URI, '--canary-authid', 'svc-v2', '--steps', '25,50,100', ...FAST, '--json', ...connFlags(router.url, OPS)],
      {
        timeoutMs: 40_000,
      },
    )
    await cli.waitFor((out) => out.includes('"event":"waiting"'), 15_000)
    const canary = await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2', weight: 0 })
    const res = await cli.done
    const report = await load.stop()

    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    const lines = ndjson(res.stdout)
    const final = lines[lines.length - 1]!
    expect(final).toMatchObject({ kind: 'canary', outcome: 'promoted', canary: { session: canary.session } })
    expect((final.retired as number[]).sort()).toEqual(old.map((c) => c.session).sort())
    expect(lines[0]!.event).toBe('started')
    expect(lines.filter((l) => l.event === 'step').map((l) => l.percent)).toEqual([25, 50, 100])
    expect(lines.some((l) => l.event === 'sample')).toBe(false)
    const shares = lines.filter((l) => l.event === 'gate' && l.action === 'advance').map((l) => (l.window as { share: number }).share)
    console.log(
      `[cli rollout canary promote] calls ${report.calls} failed ${report.failed}; canary share per step ${shares.map((s) => s.toFixed(3)).join(' ')}`,
    )
    expect(shares[2]).toBe(1)
    expect(report.failed).toBe(0)
  })

  it('rolls a failing canary back (exit 6, one line on stderr); only the canary failed calls', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'wampy', 'old'), await startCallee(router.url, 'autobahn', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'fail', { weight: 0 })
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[1]!.session, 2)
    const load = await startLoad(router.url)
    await load.answered(50)
    const res = await runCli(
      ['rollout', 'canary', URI, '--canary', String(canary.session), '--steps', '25,50,100', ...FAST, ...connFlags(router.url, OPS)],
      {
        timeoutMs: 30_000,
      },
    )
    const report = await load.stop()
    expect(res.code).toBe(6)
    expect(res.stderr).toMatch(
      /^wampctl: canary rollout of com\.example\.svc rolled back: step 1 \(25%\): canary error rate [\d.]+% .* cordoned\n$/,
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

  it('goes on and promotes after the CLI that started it is killed (kill -9); status, resume and watch from other config dirs', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    await startCallee(router.url, 'wampy', 'old')
    const canary = await startCallee(router.url, 'autobahn', 'new', { weight: 0 })
    const load = await startLoad(router.url)
    await load.answered(30)
    const flags = connFlags(router.url, OPS)
    const starter = spawnCli(['rollout', 'canary', URI, '--canary', String(canary.session), '--steps', '25,pause,100', ...FAST, ...flags], {
      env: { WAMPCTL_CONFIG_DIR: tempConfigDir() },
      timeoutMs: 40_000,
    })
    await starter.waitFor((out) => out.includes('paused'), 20_000)
    starter.signal('SIGKILL')
    expect((await starter.done).code).toBeNull()

    const status = await runCli(['rollout', 'status', URI, '--json', ...flags], { env: { WAMPCTL_CONFIG_DIR: tempConfigDir() } })
    expect(status.code).toBe(0)
    const view = JSON.parse(status.stdout) as {
      rollout: { status: string; step: number; percent: number; started_by: { authid: string } }
      callees: Array<{ session: number; role: string; weight: number; share: number | null }>
    }
    expect(view.rollout).toMatchObject({ status: 'paused', step: 2, percent: 25, started_by: { authid: 'ops' } })
    // Its share counts over the router's recent window, as in top and registrations list.
    const row = view.callees.find((c) => c.session === canary.session)!
    expect(row).toMatchObject({ role: 'canary' })
    expect(row.share).toBeGreaterThan(0)
    expect(row.share).toBeLessThan(1)
    const human = await runCli(['rollout', 'status', URI, ...flags])
    expect(human.stdout).toMatch(/PAUSED by step/)
    expect(human.stdout).toMatch(/CALLS\/S and SHARE over the last 10 s/)

    const resumed = await runCli(['rollout', 'resume', URI, ...flags])
    expect([resumed.code, resumed.stderr]).toEqual([0, ''])
    const watch = await runCli(['rollout', 'watch', URI, ...flags], { timeoutMs: 30_000 })
    expect(watch.stderr).toBe('')
    expect(watch.code).toBe(0)
    expect(watch.stdout).toMatch(/^promoted com\.example\.svc: the canary .* takes all the traffic/m)
    const report = await load.stop()
    expect(report.failed).toBe(0)
    const history = await runCli(['rollout', 'history', URI, ...flags])
    expect(history.stdout).toMatch(/com\.example\.svc\s+canary\s+promoted\s+3\/3\s+\d+\s+ops/)
    // status of a finished rollout shows its outcome (exit 0: promoted).
    expect((await runCli(['rollout', 'status', URI, ...flags])).stdout).toMatch(/ENDED promoted/)
  }, 90_000)

  it('--detach returns once accepted; list, then abort from another config dir (same state as a rollback); status then exits 6', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'old')]
    const canary = await startCallee(router.url, 'autobahn', 'new', { weight: 0 })
    const meta = await opsMeta(router.url)
    const reg = await meta.resolveRegistration(URI)
    await meta.setWeight(reg, old[0]!.session, 3)
    const load = await startLoad(router.url)
    const flags = connFlags(router.url, OPS)
    const started = await runCli([
      'rollout',
      'canary',
      URI,
      '--canary',
      String(canary.session),
      '--steps',
      '50,100',
      '--interval',
      '1h',
      '--detach',
      '--yes',
      ...flags,
    ])
    expect(started.stderr).toBe('')
    expect(started.code).toBe(0)
    expect(started.stdout).toMatch(/^accepted: canary rollout \S+ of com\.example\.svc/)
    const rc = await opsRollouts(router.url)
    await until(async () => (await rc.status(URI)).percent === 50, 'the 50% step')
    const list = await runCli(['rollout', 'list', ...flags])
    expect(list.stdout).toMatch(/com\.example\.svc\s+canary\s+running\s+1\/2\s+\d+\s+ops/)

    const refused = await runCli(['rollout', 'abort', URI, ...flags])
    expect(refused.code).toBe(4)
    const aborted = await runCli(['rollout', 'abort', URI, '--yes', ...flags], { env: { WAMPCTL_CONFIG_DIR: tempConfigDir() } })
    expect(aborted.stderr).toBe('')
    expect(aborted.code).toBe(0)
    expect(aborted.stdout).toMatch(
      /^aborted com\.example\.svc: aborted by ops; the old callees serve with their starting weights; the canary .* weight 0, cordoned/m,
    )
    await load.answered(20)
    expect((await load.stop()).failed).toBe(0)
    const after = new Map((await meta.describe(reg)).callees.map((c) => [c.session, c]))
    expect(after.get(old[0]!.session)).toMatchObject({ weight: 3, state: 'active' })
    expect(after.get(old[1]!.session)).toMatchObject({ weight: 1, state: 'active' })
    expect(after.get(canary.session)).toMatchObject({ weight: 0, state: 'cordoned' })
    const status = await runCli(['rollout', 'status', URI, ...flags])
    expect(status.code).toBe(6)
    expect(status.stdout).toMatch(/ENDED aborted/)
    const again = await runCli(['rollout', 'abort', URI, '--yes', ...flags])
    expect(again.code).toBe(3)
    expect(again.stderr).toMatch(/^wampctl: no rollout of com\.example\.svc is running; the last one ended aborted/)
  }, 90_000)

  it('Ctrl-C stops watching only and says how to steer or abort; the rollout goes on', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const canary = await startCallee(router.url, 'autobahn', 'new', { weight: 0 })
    const flags = connFlags(router.url, OPS)
    const cli = spawnCli(
      ['rollout', 'canary', URI, '--canary', String(canary.session), '--steps', '50,100', '--interval', '1h', '--yes', ...flags],
      { timeoutMs: 30_000 },
    )
    await cli.waitFor((out) => out.includes('step 1/2'), 15_000)
    cli.signal('SIGINT')
    const res = await cli.done
    expect(res.code).toBe(130)
    expect(res.stderr).toMatch(
      /^wampctl: stopped watching; the rollout of com\.example\.svc goes on in the router: .*'wampctl rollout abort com\.example\.svc'/,
    )
    const rc = await opsRollouts(router.url)
    expect((await rc.list()).map((r) => r.status)).toEqual(['running'])
  })

  it('refuses anonymous callers before anything changes, and says plainly when the router cannot run rollouts', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const a = await startCallee(router.url, 'autobahn', 'old')
    await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2', weight: 0 })
    const anon = await runCli(['rollout', 'canary', URI, '--canary-authid', 'svc-v2', '--yes', ...connFlags(router.url)])
    expect(anon.code).toBe(1)
    expect(anon.stderr).toMatch(/^wampctl: not authorized: 'wampctl\.rollout\.start' changes router state and needs an admin role/)
    const none = await runCli(['rollout', 'status', URI, ...connFlags(router.url, OPS)])
    expect(none.code).toBe(3)
    expect(none.stderr).toMatch(/^wampctl: no rollout of com\.example\.svc is running or recorded/)

    const foreign = await startRouter({ ...ROUTER_OPTIONS, extensions: false })
    await startCallee(foreign.url, 'autobahn', 'old')
    for (const args of [
      ['rollout', 'canary', URI, '--canary', String(a.session), '--yes'],
      ['rollout', 'status', URI],
      ['rollout', 'list'],
    ]) {
      const res = await runCli([...args, ...connFlags(foreign.url, OPS)])
      expect(res.code).toBe(1)
      expect(res.stderr).toMatch(/^wampctl: the router at \S+ cannot run rollouts/)
      expect(res.stderr.trim().split('\n')).toHaveLength(1)
    }
  }, 90_000)
})

describe('rollout notifications', () => {
  it('every transition is a wampctl.rollout.on_update event, and wampctl events shows them', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const canary = await startCallee(router.url, 'wampy', 'new', { weight: 0 })
    const load = await startLoad(router.url)
    const flags = connFlags(router.url, OPS)
    const events = spawnCli(['events', '--json', ...flags], { timeoutMs: 40_000 })
    const rc = await opsRollouts(router.url)
    // No one else follows rollouts here: once the topic exists, `events` subscribed to it.
    await until(
      async () => (await rc.client.call('wamp.subscription.lookup', [RolloutUri.onUpdate])).args[0] != null,
      'events to subscribe',
    )
    const started = await runCli([
      'rollout',
      'canary',
      URI,
      '--canary',
      String(canary.session),
      '--steps',
      '50,pause,100',
      ...FAST,
      '--detach',
      ...flags,
    ])
    expect(started.code).toBe(0)
    await until(async () => (await rc.status(URI)).status === 'paused', 'the pause step')
    await runCli(['rollout', 'abort', URI, '--yes', ...flags])
    await events.waitFor((out) => out.includes('"transition":"completed"'), 15_000)
    events.signal('SIGINT')
    const res = await events.done
    await load.stop()
    const rollout = ndjson(res.stdout).filter((e) => e.kind === 'rollout')
    const transitions = [...new Set(rollout.map((e) => e.transition))]
    expect(transitions).toEqual(['started', 'canary', 'step', 'gate', 'paused', 'aborted', 'completed'])
    expect(rollout[rollout.length - 1]).toMatchObject({ uri: URI, status: 'aborted', authid: 'ops', topic: 'wampctl.rollout.on_update' })
    expect(rollout.every((e) => e.rollout === rollout[0]!.rollout)).toBe(true)
  }, 90_000)
})

describe('wampctl call --callee (a directed call)', () => {
  it('reaches exactly the named callee; refused for a non-admin role and on a router that cannot direct calls', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const callees = [await startCallee(router.url, 'autobahn', 'old'), await startCallee(router.url, 'wampy', 'new', { weight: 0 })]
    const flags = connFlags(router.url, OPS)
    for (let i = 0; i < 3; i++) {
      const res = await runCli(['call', URI, '--callee', String(callees[1]!.session), ...flags])
      expect([res.code, res.stdout.trim()]).toEqual([0, 'new'])
    }
    expect(callees.map((c) => c.invocations)).toEqual([0, 3])
    const anon = await runCli(['call', URI, '--callee', String(callees[1]!.session), ...connFlags(router.url)])
    expect(anon.code).toBe(1)
    expect(anon.stderr).toMatch(/^wampctl: not authorized: the CALL option _callee \(a directed call\) needs an admin role/)
    const foreign = await startRouter({ ...ROUTER_OPTIONS, extensions: false })
    const res = await runCli(['call', URI, '--callee', '1', ...connFlags(foreign.url, OPS)])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/cannot direct a call to one callee/)
  }, 90_000)
})
