import { afterEach, describe, expect, it } from 'vitest'
import { tempConfigDir } from '../support/cli.js'
import { ADMIN, callee, liveRouter, load } from './live-fixture.js'
import { TmuxScreen, wampctlArgv } from './tmux.js'

/** The terminal an operator really has: top and dashboard at 80×24 against a real router with real callees. */
let screen: TmuxScreen | undefined
afterEach(() => {
  screen?.kill()
  screen = undefined
})

const LONG_AUTHID = 'billing-invoice-service-canary-eu-west-1'

describe('live views at 80×24', () => {
  it('top: session ids whole, the long authid shortened with …, no line past 80 columns; the selection stays on its registration when rows reorder', async () => {
    const router = await liveRouter({ statsIntervalMs: 250 })
    const a = await callee(router, 'aa.svc', LONG_AUTHID)
    const b = await callee(router, 'aa.svc', 'aa-2')
    await callee(router, 'zz.svc', 'zz-1')
    const busyFirst = await load(router, ['aa.svc'], 80)

    screen = new TmuxScreen('narrow-top')
    screen.start(wampctlArgv(['top'], { url: router.url, ...ADMIN }), { WAMPCTL_CONFIG_DIR: tempConfigDir() }, 80, 24)
    const order = (s: string): string[] => s.split('\n').flatMap((l) => /^[> ] (aa\.svc|zz\.svc)\s/.exec(l)?.[1] ?? [])
    await screen.waitForScreen(
      (s) => order(s).join(',') === 'aa.svc,zz.svc' && /aa\.svc\s+roundrobin\s+2\s+[1-9]/.test(s),
      'aa.svc busiest, first',
    )
    screen.keys('j')
    await screen.waitForScreen((s) => /^> zz\.svc/m.test(s), 'zz.svc selected')

    // the load moves to zz.svc: it climbs to the top of the calls/s sort, the selection with it
    await busyFirst.stop(500)
    await load(router, ['zz.svc'], 160)
    const moved = await screen.waitForScreen((s) => order(s).join(',') === 'zz.svc,aa.svc', 'zz.svc first after the re-sort', 30_000)
    expect(moved).toMatch(/^> zz\.svc/m)
    screen.keys('k') // already on the first row: stays on zz.svc
    screen.keys('j')
    await screen.waitForScreen((s) => /^> aa\.svc/m.test(s), 'j moves to the row below it, aa.svc')
    screen.keys('Enter')
    const detail = await screen.waitForScreen(
      (s) => s.includes('aa.svc  (roundrobin') && s.includes(String(a.session)) && s.includes(String(b.session)),
      'aa.svc opened with both session ids',
    )
    for (const line of detail.split('\n')) expect([...line].length).toBeLessThanOrEqual(80)
    expect(detail).toMatch(new RegExp(`${a.session}\\s+billing-\\S*…`))
    expect(detail).not.toContain(LONG_AUTHID)
    expect(detail).toMatch(/SESSION\s+AUTHID\s+STATE\s+WT\s+SHARE\s+CALLS\/S\s+INFL\s+ERR\s+P99 MS/)
    screen.keys('q')
    expect(await screen.waitForExit()).toBe(0)
  }, 60_000)

  it('dashboard: the table headers stay on one line, session ids whole', async () => {
    const router = await liveRouter({ statsIntervalMs: 250 })
    const a = await callee(router, 'dash.narrow', LONG_AUTHID)
    const b = await callee(router, 'dash.narrow', 'n-2')
    await load(router, ['dash.narrow'], 60)

    screen = new TmuxScreen('narrow-dash')
    screen.start(
      wampctlArgv(['dashboard'], { url: router.url, ...ADMIN }),
      { WAMPCTL_CONFIG_DIR: tempConfigDir(), NCURSES_NO_UTF8_ACS: '1' },
      80,
      24,
    )
    const s = await screen.waitForScreen(
      (x) => x.includes(String(a.session)) && x.includes(String(b.session)) && /> dash\.narrow\s+[1-9]\d*\.\d/.test(x),
      'both callees with whole ids',
    )
    const lines = s.split('\n')
    const regHeader = lines.find((l) => l.includes('URI'))!
    expect(regHeader).toMatch(/URI\s+.*CALLS\/S\s+.*SPREAD\s*│/)
    const calleeHeader = lines.find((l) => l.includes('SESSION'))!
    expect(calleeHeader).toMatch(/#\s+SESSION\s+AUTHID\s+STATE\s+CALLS\/S\s*│/)
    // the line under each header is the blank one blessed-contrib leaves, not a wrapped rest
    expect(lines[lines.indexOf(calleeHeader) + 1]).toMatch(/^│\s+│/)
    expect(lines[lines.indexOf(regHeader) + 1]).toMatch(/^│\s+│/)
    screen.keys('q')
    expect(await screen.waitForExit()).toBe(0)
  }, 60_000)
})
