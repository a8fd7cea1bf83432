import { afterEach, describe, expect, it } from 'vitest'
import { tempConfigDir } from '../support/cli.js'
import { ADMIN, adminMeta, callee, liveRouter, load } from './live-fixture.js'
import { TmuxScreen, wampctlArgv } from './tmux.js'

let screen: TmuxScreen | undefined
afterEach(() => {
  screen?.kill()
  screen = undefined
})

/** `wampctl top` in a real terminal (tmux) against a real router with real callees under load. */
describe('wampctl top in tmux', () => {
  it('shows the registration, its callees and their shares; drains one from the keyboard; q exits cleanly', async () => {
    const router = await liveRouter({ statsIntervalMs: 250 })
    const add = [
      await callee(router, 'tmux.add', 'add-1'),
      await callee(router, 'tmux.add', 'add-2'),
      await callee(router, 'tmux.add', 'add-3'),
    ]
    await callee(router, 'tmux.lookup', 'lookup-1', 'first')
    await load(router, ['tmux.add', 'tmux.lookup'], 80)
    const meta = await adminMeta(router)
    const target = add[1]!.session

    screen = new TmuxScreen('top')
    screen.start(wampctlArgv(['top'], { url: router.url, ...ADMIN }), { WAMPCTL_CONFIG_DIR: tempConfigDir() })
    const list = await screen.waitForScreen(
      (s) => /tmux\.add\s+roundrobin\s+3\s+[1-9]\d*\.\d\s/.test(s) && /tmux\.lookup\s+first\s+1\s/.test(s),
      'both registrations with calls/s',
    )
    expect(list).toContain('wampctl top')
    expect(list).toContain('live: stats every 250 ms')
    expect(list).toContain('↑↓ j/k move  Enter open  / filter  s sort  q quit')

    // Sorted by calls/s the two registrations can swap places between a capture and a key press
    // (their rates are close): sort by URI (`s`), a stable order with tmux.add first, then open it.
    // (The selection stays on its registration across the re-sort: k moves it to the first row.)
    screen.keys('s')
    await screen.waitForScreen((s) => s.includes('sort: uri'), 'sorted by URI')
    screen.keys('k')
    await screen.waitForScreen((s) => /> tmux\.add\s/.test(s), 'tmux.add selected')
    screen.keys('Enter')
    const row = (authid: string, state = 'active') => new RegExp(`\\d+\\s+${authid}\\s+${state}\\s+1\\s+[█·]{20}\\s+\\d+%`)
    const detail = await screen.waitForScreen(
      (s) => ['add-1', 'add-2', 'add-3'].every((a) => row(a).test(s)) && /[1-9]\d?%/.test(s),
      'the callees with their shares',
    )
    expect(detail).toContain('tmux.add  (roundrobin, exact, id')
    expect(detail).toContain('c cordon  u uncordon  d drain  e evict')
    const order = ['add-1', 'add-2', 'add-3'].map((a) => detail.indexOf(a))
    expect([...order].sort((a, b) => a - b)).toEqual(order)

    // Select the second callee, drain it from the keyboard.
    screen.keys('j')
    await screen.waitForScreen((s) => new RegExp(`>\\s+2\\s+${target}\\s+add-2`).test(s), 'add-2 selected')
    screen.keys('d')
    await screen.waitForScreen(
      (s) => s.includes(`Drain (cordon, wait for calls in flight) session ${target} (add-2) of tmux.add? [y/N]`),
      'the confirmation',
    )
    screen.keys('y')
    const drained = await screen.waitForScreen(
      (s) => row('add-2', '(?:draining|cordoned)').test(s) && s.includes(`drained tmux.add ${target}`),
      'add-2 drained on screen',
    )
    expect(drained).toMatch(row('add-1'))
    expect(drained).toMatch(row('add-3'))
    const snap = await meta.snapshot()
    expect(snap.registrations.find((r) => r.uri === 'tmux.add')!.callees.find((c) => c.session === target)!.state).toBe('cordoned')

    screen.keys('q')
    expect(await screen.waitForExit()).toBe(0)
    expect(screen.hasSession()).toBe(false)
  }, 60_000)

  it('demo --top shows the demo load moving and stops cleanly (exit 0) on SIGTERM', async () => {
    screen = new TmuxScreen('demo')
    screen.start(wampctlArgv(['demo', '--port', '0', '--top', '--rate', '60']), {
      WAMPCTL_CONFIG_DIR: tempConfigDir(),
    })
    const rate = (s: string): number => Number(/demo\.add\s+roundrobin\s+3\s+(\d+\.\d)\s/.exec(s)?.[1] ?? 0)
    const first = await screen.waitForScreen(
      (s) => rate(s) > 0 && /demo\.lookup\s+first\s+2\s/.test(s) && /demo\.quote\s+random\s+2\s/.test(s),
      'the demo registrations under load',
    )
    expect(first).toMatch(
      /demo router ws:\/\/127\.0\.0\.1:\d+\/ws · 60 calls\/s · elsewhere try: wampctl registrations show demo\.add · wampctl drain \d+ --uri demo\.add/,
    )
    // the numbers move: a later screen differs in the demo.add line
    const line = (s: string): string => s.split('\n').find((l) => /demo\.add\s+roundrobin/.test(l)) ?? ''
    await screen.waitForScreen((s) => line(s) !== line(first) && rate(s) > 0, 'the demo.add line to change')
    process.kill(screen.commandPid(), 'SIGTERM')
    expect(await screen.waitForExit()).toBe(0)
  }, 60_000)
})
