import { afterEach, describe, expect, it } from 'vitest'
import { tempConfigDir } from '../support/cli.js'
import { startRouter } from '../support/router.js'
import { OPS, opsRollouts, ROUTER_OPTIONS, startCallee, startLoad as startRolloutLoad, URI } from '../ops/rollout-fixture.js'
import { ADMIN, callee, liveRouter, load } from './live-fixture.js'
import { TmuxScreen, wampctlArgv } from './tmux.js'

let screen: TmuxScreen | undefined
afterEach(() => {
  screen?.kill()
  screen = undefined
})

/** The line chart's legend on screen: its `#N name` entries (nothing else on the dashboard writes `#N name`). */
function legend(s: string): string[] {
  return [...s.matchAll(/#\d+ [\w-]+/g)].map((m) => m[0])
}

/** The callee table's rows as `#N name` (position and authid), in order. */
function calleeRows(s: string): string[] {
  const table = s.slice(s.indexOf('callees of '))
  return [...table.matchAll(/^│[> ](\d+)\s+\d+\s+([\w-]+)\s+(?:active|cordoned|draining)\s/gm)].map((m) => `#${m[1]} ${m[2]}`)
}

/** The colour (last SGR sequence before it on its line) of the legend entry `entry` on a styled capture. */
function legendColor(styled: string, entry: string): string | undefined {
  const line = styled.split('\n').find((l) => l.includes(entry))
  if (line === undefined) return undefined
  // eslint-disable-next-line no-control-regex -- an SGR sequence starts with ESC
  return [...line.slice(0, line.indexOf(entry)).matchAll(/\x1b\[[0-9;]*m/g)].at(-1)?.[0]
}

function startDashboard(url: string, width: number, height: number, admin = ADMIN): TmuxScreen {
  const s = new TmuxScreen('dash-replace')
  s.start(wampctlArgv(['dashboard'], { url, ...admin }), { WAMPCTL_CONFIG_DIR: tempConfigDir(), NCURSES_NO_UTF8_ACS: '1' }, width, height)
  return s
}

/**
 * The first screen on which the callee table shows `expected` (`#N name`, in order): the legend of
 * that same frame must name exactly these callees. The table is drawn below the chart, so a
 * captured table of a frame comes with the legend of that frame above it.
 */
async function legendWhenTableShows(s: TmuxScreen, expected: string[], what: string): Promise<string[]> {
  const shown = await s.waitForScreen((text) => calleeRows(text).join(',') === expected.join(','), what, 20_000)
  return legend(shown)
}

describe('dashboard: the chart legend after a replace names the callees there now', () => {
  // At 80×24 too the callee box shows three callees (the short layout): the replace is followed there.
  for (const { width, height, others } of [
    { width: 160, height: 48, others: ['keep-2'] },
    { width: 80, height: 24, others: ['keep-2'] },
  ]) {
    it(`a callee replaced by hand (the new one registers, the old one leaves), at ${width}×${height}`, async () => {
      const router = await liveRouter({ statsIntervalMs: 250 })
      const old = await callee(router, 'dash.add', 'old-1')
      for (const authid of others) await callee(router, 'dash.add', authid)
      await load(router, ['dash.add'], 60)
      const numbered = (names: string[]): string[] => names.map((n, i) => `#${i + 1} ${n}`)
      screen = startDashboard(router.url, width, height)
      const first = numbered(['old-1', ...others])
      expect(await legendWhenTableShows(screen, first, 'the first callees')).toEqual(first)

      await callee(router, 'dash.add', 'new-9')
      const both = numbered(['old-1', ...others, 'new-9'])
      expect(await legendWhenTableShows(screen, both, 'new-9 added')).toEqual(both)

      // each line's colour belongs to its callee: keep-2's stays when old-1 before it leaves
      const keepColor = legendColor(screen.captureStyled(), '#2 keep-2')
      expect(keepColor).toBeDefined()
      await old.client.close()
      const now = numbered([...others, 'new-9'])
      expect(await legendWhenTableShows(screen, now, 'old-1 gone')).toEqual(now)
      expect(legendColor(screen.captureStyled(), '#1 keep-2')).toBe(keepColor)
      // and it stays right on later frames: one that shows a registration added since
      await callee(router, 'dash.other', 'other-1')
      const later = await screen.waitForScreen((text) => /^│ {2}dash\.other\s/m.test(text), 'a later frame with dash.other')
      expect(legend(later)).toEqual(now)
    }, 60_000)
  }

  it('a rolling replace run by the router (rollout replace): the legend names the new callees, none of the old', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old', { authid: 'svc-v1-a' })
    await startCallee(router.url, 'autobahn', 'old', { authid: 'svc-v1-b' })
    const calls = await startRolloutLoad(router.url)
    screen = startDashboard(router.url, 160, 48, OPS)
    expect(await legendWhenTableShows(screen, ['#1 svc-v1-a', '#2 svc-v1-b'], 'the old callees')).toEqual(['#1 svc-v1-a', '#2 svc-v1-b'])

    const rc = await opsRollouts(router.url)
    await rc.start({
      kind: 'replace',
      uri: URI,
      count: 2,
      new_authid: 'svc-v2',
      min_available: 1,
      timeout_ms: 30_000,
      drain_timeout_ms: 10_000,
    })
    await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    await startCallee(router.url, 'autobahn', 'new', { authid: 'svc-v2' })
    const after = await legendWhenTableShows(screen, ['#1 svc-v2', '#2 svc-v2'], 'only the new callees')
    expect(after).toEqual(['#1 svc-v2', '#2 svc-v2'])
    expect((await calls.stop()).failed).toBe(0)
  }, 60_000)
})
