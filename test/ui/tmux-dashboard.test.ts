import { afterEach, describe, expect, it } from 'vitest'
import { tempConfigDir } from '../support/cli.js'
import { ADMIN, adminMeta, callee, liveRouter, load } from './live-fixture.js'
import { TmuxScreen, wampctlArgv } from './tmux.js'

let screen: TmuxScreen | undefined
afterEach(() => {
  screen?.kill()
  screen = undefined
})

/** `wampctl dashboard` (blessed-contrib) in a real terminal (tmux) against a real router with real callees under load. */
describe('wampctl dashboard in tmux', () => {
  it('shows the registration, its callees and their shares; Tab cycles; drains one from the keyboard; q exits cleanly', async () => {
    const router = await liveRouter({ statsIntervalMs: 250 })
    const add = [
      await callee(router, 'dash.add', 'add-1'),
      await callee(router, 'dash.add', 'add-2'),
      await callee(router, 'dash.add', 'add-3'),
    ]
    await callee(router, 'dash.zeta', 'zeta-1', 'random')
    await load(router, ['dash.add', 'dash.zeta'], 80)
    const meta = await adminMeta(router)
    const target = add[1]!.session

    screen = new TmuxScreen('dashboard')
    screen.start(wampctlArgv(['dashboard'], { url: router.url, ...ADMIN }), {
      WAMPCTL_CONFIG_DIR: tempConfigDir(),
      NCURSES_NO_UTF8_ACS: '1',
    })
    // Registrations in URI order, the first selected; its callees with their shares; the charts titled for it.
    const row = (authid: string, state = 'active') => new RegExp(`\\d+\\s+${authid}\\s+${state}\\s+1\\s+\\d+%`)
    const first = await screen.waitForScreen(
      (s) =>
        /> dash\.add\s+roundrobin\s+3\s+[1-9]\d*\.\d/.test(s) &&
        ['add-1', 'add-2', 'add-3'].every((a) => row(a).test(s)) &&
        /[1-9]\d?%/.test(s),
      'dash.add with its callees and shares',
    )
    expect(first).toMatch(/ {2}dash\.zeta\s+random\s+1\s/)
    expect(first).toContain('load share % by callee — dash.add')
    expect(first).toContain('calls/s per callee — dash.add')
    expect(first).toContain('registrations (2) — live, stats every 250 ms')
    expect(first).toContain('#1 add-1') // line chart legend
    expect(first).toMatch(/┌─ events/) // box borders drawn as lines (NCURSES_NO_UTF8_ACS=1)

    screen.keys('Tab')
    await screen.waitForScreen(
      (s) => /> dash\.zeta\s/.test(s) && s.includes('callees of dash.zeta') && row('zeta-1').test(s),
      'Tab to dash.zeta',
    )
    screen.keys('Tab')
    await screen.waitForScreen((s) => /> dash\.add\s/.test(s) && s.includes('callees of dash.add'), 'Tab back to dash.add')

    // Select add-2 and drain it from the keyboard.
    screen.keys('j')
    await screen.waitForScreen((s) => new RegExp(`>2\\s+${target}\\s+add-2`).test(s), 'add-2 selected')
    screen.keys('d')
    await screen.waitForScreen(
      (s) => s.includes(`Drain (cordon, wait for calls in flight) session ${target} (add-2) of dash.add?`) && s.includes('[y/N]'),
      'the confirmation box',
    )
    screen.keys('y')
    const drained = await screen.waitForScreen(
      (s) => new RegExp(`${target}\\s+add-2\\s+(?:draining|cordoned)`).test(s) && s.includes(`cordoned dash.add ${target}`),
      'add-2 drained on screen and in the event log',
    )
    expect(drained).toMatch(row('add-1'))
    expect(drained).toMatch(row('add-3'))
    expect(drained).toContain(`draining dash.add ${target} (drain)`)
    const snap = await meta.snapshot()
    expect(snap.registrations.find((r) => r.uri === 'dash.add')!.callees.find((c) => c.session === target)!.state).toBe('cordoned')

    screen.keys('q')
    expect(await screen.waitForExit()).toBe(0)
    expect(screen.hasSession()).toBe(false)
  }, 60_000)
})
