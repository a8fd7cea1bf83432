import { afterEach, describe, expect, it } from 'vitest'
import { tempConfigDir } from '../support/cli.js'
import { startRouter } from '../support/router.js'
import { canarySpec, OPS, opsRollouts, ROUTER_OPTIONS, startCallee, startLoad, until, URI } from '../ops/rollout-fixture.js'
import { TmuxScreen, wampctlArgv } from './tmux.js'

let screen: TmuxScreen | undefined
afterEach(() => {
  screen?.kill()
  screen = undefined
})

/** The live rollout view in a real terminal (tmux), following a rollout the router runs. */
describe('wampctl rollout watch in tmux', () => {
  it('picks a paused rollout up where it is, draws the canary against the rest live, and ends with the outcome (exit 0)', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    await startCallee(router.url, 'wampy', 'old')
    const canary = await startCallee(router.url, 'autobahn', 'new', { weight: 0 })
    const load = await startLoad(router.url)
    const rc = await opsRollouts(router.url)
    await rc.start(canarySpec({ canary: { session: canary.session }, steps: [{ percent: 25 }, { pause_ms: null }, { percent: 100 }] }))
    await until(async () => (await rc.status(URI)).status === 'paused', 'the pause step')

    screen = new TmuxScreen('rollout')
    screen.start(
      wampctlArgv(['rollout', 'watch', URI], { url: router.url, ...OPS }),
      { WAMPCTL_CONFIG_DIR: tempConfigDir() },
      120,
      30,
      // The view prints the outcome and exits at once: keep its last screen readable.
      { keepAfterExit: true },
    )
    const live = await screen.waitForScreen(
      (s) => s.includes(`canary session ${canary.session}`) && /canary\s+[1-9]\d*\s+0\s+0%/.test(s) && /rest\s+[1-9]\d*\s+0\s+0%/.test(s),
      'the live view with canary and rest figures',
    )
    expect(live).toContain('wampctl rollout watch com.example.svc')
    expect(live).toContain("paused: 'wampctl rollout promote' or 'resume' goes on")
    expect(live).toContain('25% of the traffic')
    expect(live).toMatch(/following canary rollout \S+ of com\.example\.svc/)

    await rc.promote(URI)
    const done = await screen.waitForScreen((s) => /^promoted com\.example\.svc: the canary/m.test(s), 'the outcome', 20_000)
    expect(done).toMatch(/STEP\s+TARGET\s+WEIGHT\s+CHECKS/)
    expect(await screen.waitForExit()).toBe(0)
    expect((await load.stop()).failed).toBe(0)
  }, 60_000)
})
