import { render, cleanup } from 'ink-testing-library'
import { useEffect } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import type { SnapshotView } from '../../src/client/views.js'
import type { ActionTarget, CalleeAction, CalleeActions } from '../../src/ui/live/actions.js'
import { EventLog } from '../../src/ui/live/event-log.js'
import type { LiveSource } from '../../src/ui/live/feed.js'
import { LiveModel } from '../../src/ui/live/model.js'
import { TopApp } from '../../src/ui/top/app.js'

afterEach(() => {
  cleanup()
})

/** A source over a real LiveModel, fed synthetic snapshots and ticks (the tmux tests use a real router). */
class FakeSource implements LiveSource {
  readonly model = new LiveModel()
  readonly events = new EventLog()
  readonly url = 'ws://router.test/ws'
  readonly realm = 'realm1'
  problem: string | null = null
  closed = false
  disconnected = false
  lastUpdateAt: number | undefined = undefined
  private readonly listeners = new Set<() => void>()
  constructor(
    readonly mode: 'live' | 'polling' = 'live',
    readonly intervalMs = 1000,
  ) {}
  onChange(l: () => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }
  changed(): void {
    for (const l of this.listeners) l()
  }
}

const c = (session: number, authid: string, calls: number, state: 'active' | 'cordoned' = 'active') => ({
  session,
  authid,
  authrole: 'anonymous',
  state,
  weight: 1,
  calls,
  errors: 0,
  inflight: 1,
  p50_ms: 2,
  p99_ms: 9.5,
  last_call_at: null,
})

function demoSource(): FakeSource {
  const s = new FakeSource()
  const snap: SnapshotView = {
    at: '2026-01-01T00:00:00.000Z',
    realm: 'realm1',
    extensions: true,
    registrations: [
      { id: 1, uri: 'svc.cold', match: 'exact', invoke: 'first', created: null, callees: [c(21, 'cold-1', 0)] },
      {
        id: 2,
        uri: 'svc.hot',
        match: 'exact',
        invoke: 'roundrobin',
        created: null,
        callees: [c(11, 'hot-1', 0), c(12, 'hot-2', 0), c(13, 'hot-3', 0)],
      },
      { id: 3, uri: 'alpha.mid', match: 'exact', invoke: 'random', created: null, callees: [c(31, 'mid-1', 0)] },
    ],
  }
  s.model.applySnapshot(snap)
  // over three ticks hot-1 serves 10, 20, 30 calls/s (half the calls), hot-2 and hot-3 10 each (a quarter)
  const hot1 = [0, 10, 30, 60]
  for (let t = 1; t <= 3; t++) {
    s.model.applyTick({
      seq: t,
      at: new Date(t * 1000).toISOString(),
      interval_ms: 1000,
      callees: [
        [2, 11, hot1[t]!, 0, 1, 2, 9.5],
        [2, 12, 10 * t, 0, 0, 2, 9.5],
        [2, 13, 10 * t, 2, 0, 2, 9.5],
        [1, 21, 1 * t, 0, 0, 2, 9.5],
        [3, 31, 5 * t, 0, 0, 2, 9.5],
      ],
    })
  }
  return s
}

class RecordingActions {
  readonly calls: Array<[CalleeAction, ActionTarget]> = []
  readonly actions: CalleeActions
  constructor() {
    const make = (a: CalleeAction) => async (t: ActionTarget, progress: (line: string) => void) => {
      this.calls.push([a, t])
      progress(`${a} in progress`)
      return `${a} done for ${t.session}`
    }
    this.actions = { cordon: make('cordon'), uncordon: make('uncordon'), drain: make('drain'), evict: make('evict') }
  }
}

/** Poll the last frame until it satisfies `predicate` (bounded); returns it. */
async function frameWith(lastFrame: () => string | undefined, predicate: (f: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 3000
  for (;;) {
    const f = lastFrame() ?? ''
    if (predicate(f)) return f
    if (Date.now() > deadline) throw new Error(`no frame with ${what}; last frame:\n${f}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const has = (s: string) => (f: string) => f.includes(s)
const rowOrder = (frame: string, uris: string[]) => uris.map((u) => frame.indexOf(u))

function setup(source = demoSource(), width = 100, height = 30) {
  const rec = new RecordingActions()
  let unmounted = false
  function Probe() {
    useEffect(
      () => () => {
        unmounted = true
      },
      [],
    )
    return <TopApp source={source} actions={rec.actions} width={width} height={height} />
  }
  const r = render(<Probe />)
  return { ...r, rec, source, isUnmounted: () => unmounted }
}

describe('TopApp (ink)', () => {
  it('lists registrations sorted by calls/s with invoke, callees, calls/s, in flight, errors and spread', async () => {
    const { lastFrame } = setup()
    const f = await frameWith(lastFrame, has('svc.hot'), 'the table')
    expect(f).toContain('URI')
    expect(f).toMatch(/INVOKE\s+CALLEES\s+CALLS\/S\s+IN FLIGHT\s+ERRORS\s+SPREAD/)
    const [hot, mid, cold] = rowOrder(f, ['svc.hot', 'alpha.mid', 'svc.cold'])
    expect(hot).toBeLessThan(mid!)
    expect(mid).toBeLessThan(cold!)
    // svc.hot: roundrobin, 3 callees, 40 calls/s (120 calls in the 3 s window so far), 1 in flight,
    // 2 errors, spread 2.00x (60 vs 30 calls in the window)
    expect(f).toMatch(/> svc\.hot\s+roundrobin\s+3\s+40\.0\s+1\s+2\s+2\.00x/)
    expect(f).toMatch(/ svc\.cold\s+first\s+1\s+1\.0\s+0\s+0\s+-/)
    expect(f).toContain('live: stats every 1000 ms, rates over 10 s  ·  3 registrations')
    expect(f).toContain('↑↓ j/k move  Enter open  / filter  s sort  q quit')
  })

  it('j/k move the selection, s changes the sort, / filters by URI and Esc clears it', async () => {
    const { lastFrame, stdin } = setup()
    await frameWith(lastFrame, has('> svc.hot'), 'selection on the first row')
    stdin.write('j')
    await frameWith(lastFrame, has('> alpha.mid'), 'selection moved down')
    stdin.write('k')
    await frameWith(lastFrame, has('> svc.hot'), 'selection moved up')
    stdin.write('s')
    const byUri = await frameWith(lastFrame, has('sort: uri'), 'sort by uri')
    const [a, cold, hot] = rowOrder(byUri, ['alpha.mid', 'svc.cold', 'svc.hot'])
    expect(a).toBeLessThan(cold!)
    expect(cold).toBeLessThan(hot!)
    expect(byUri).toContain('> svc.hot') // the selection follows the registration, not the line
    stdin.write('/')
    await frameWith(lastFrame, has('/█'), 'the filter prompt')
    stdin.write('co')
    stdin.write('ld')
    const filtered = await frameWith(lastFrame, (f) => f.includes('/cold█') && !f.includes('svc.hot'), 'filtered rows')
    expect(filtered).toContain('svc.cold')
    expect(filtered).not.toContain('alpha.mid')
    stdin.write('\r')
    await frameWith(lastFrame, has('filter: cold  (Esc clears)'), 'the filter kept')
    stdin.write('\u001b')
    await frameWith(lastFrame, (f) => f.includes('svc.hot') && f.includes('alpha.mid') && !f.includes('filter:'), 'the filter cleared')
  })

  it('Enter opens a registration: callees in order with state, weight, share bars, calls/s, in flight, p99 and sparklines; Esc goes back', async () => {
    const { lastFrame, stdin } = setup()
    await frameWith(lastFrame, has('> svc.hot'), 'the table')
    stdin.write('\r')
    const f = await frameWith(lastFrame, has('hot-3'), 'the callees of svc.hot')
    expect(f).toContain('svc.hot  (roundrobin, exact, id 2)')
    expect(f).toContain('3 callees, 3 taking calls  ·  calls/s 40.0  ·  in flight 1  ·  errors 2  ·  spread 2.00x')
    expect(f).toMatch(/SESSION\s+AUTHID\s+STATE\s+WT\s+SHARE\s+CALLS\/S\s+INFL\s+ERR\s+P99 MS\s+HISTORY/)
    const lines = f.split('\n')
    const row = (authid: string) => lines.find((l) => l.includes(authid))!
    // hot-1: 50 % of the calls in the window (20/s) → half the bar, a rising sparkline; hot-2/hot-3:
    // 25 % (10/s), flat at a third of the peak; hot-3's 2 errors in its own ERR column
    expect(row('hot-1')).toMatch(/^> +1 11 +hot-1 +active +1 █{5}·{5} +50% +20\.0 +1 +0 +9\.5 +▃▆█$/)
    expect(row('hot-2')).toMatch(/^ {3}2 12 +hot-2 +active +1 █{3}·{7} +25% +10\.0 +0 +0 +9\.5 +▃▃▃$/)
    expect(row('hot-3')).toMatch(/^ {3}3 13 +hot-3 +active +1 █{3}·{7} +25% +10\.0 +0 +2 +9\.5/)
    expect(lines.indexOf(row('hot-1'))).toBeLessThan(lines.indexOf(row('hot-2')))
    expect(f).toContain('c cordon  u uncordon  d drain  e evict')
    stdin.write('j')
    await frameWith(lastFrame, (x) => /> +2 12 +hot-2/.test(x), 'the second callee selected')
    stdin.write('\u001b')
    await frameWith(lastFrame, (x) => x.includes('> svc.hot') && !x.includes('hot-2'), 'back to the list')
  })

  it('d asks for confirmation on screen; n cancels, y drains the selected callee and shows the outcome', async () => {
    const { lastFrame, stdin, rec } = setup()
    await frameWith(lastFrame, has('> svc.hot'), 'the table')
    stdin.write('\r')
    await frameWith(lastFrame, has('hot-3'), 'the callees')
    stdin.write('j')
    await frameWith(lastFrame, (x) => /> +2 12 +hot-2/.test(x), 'hot-2 selected')
    stdin.write('d')
    await frameWith(lastFrame, has('Drain (cordon, wait for calls in flight) session 12 (hot-2) of svc.hot? [y/N]'), 'the drain question')
    stdin.write('n')
    await frameWith(lastFrame, has('drain cancelled'), 'cancelled')
    expect(rec.calls).toEqual([])
    stdin.write('d')
    await frameWith(lastFrame, has('[y/N]'), 'the question again')
    stdin.write('y')
    await frameWith(lastFrame, has('drain done for 12'), 'the outcome')
    expect(rec.calls).toEqual([['drain', { registration: 2, uri: 'svc.hot', session: 12, authid: 'hot-2' }]])
  })

  it('c, u and e ask their own questions and act on the selected callee', async () => {
    const { lastFrame, stdin, rec } = setup()
    await frameWith(lastFrame, has('> svc.hot'), 'the table')
    stdin.write('\r')
    await frameWith(lastFrame, has('hot-3'), 'the callees')
    stdin.write('c')
    await frameWith(lastFrame, has('Cordon (no new calls) session 11 (hot-1) of svc.hot? [y/N]'), 'cordon question')
    stdin.write('y')
    await frameWith(lastFrame, has('cordon done for 11'), 'cordoned')
    stdin.write('u')
    await frameWith(lastFrame, has('Uncordon (take calls again) session 11 (hot-1) of svc.hot? [y/N]'), 'uncordon question')
    stdin.write('y')
    await frameWith(lastFrame, has('uncordon done for 11'), 'uncordoned')
    stdin.write('jj')
    await frameWith(lastFrame, (x) => /> +3 13 +hot-3/.test(x), 'hot-3 selected')
    stdin.write('e')
    await frameWith(lastFrame, has('Evict (remove the callee now) session 13 (hot-3) of svc.hot? [y/N]'), 'evict question')
    stdin.write('y')
    await frameWith(lastFrame, has('evict done for 13'), 'evicted')
    expect(rec.calls.map(([a, t]) => [a, t.session])).toEqual([
      ['cordon', 11],
      ['uncordon', 11],
      ['evict', 13],
    ])
  })

  it('redraws when the source changes: a cordoned callee shows its state', async () => {
    const { lastFrame, stdin, source } = setup()
    await frameWith(lastFrame, has('> svc.hot'), 'the table')
    stdin.write('\r')
    await frameWith(lastFrame, has('hot-3'), 'the callees')
    source.model.applyState({ registration: 2, uri: 'svc.hot', session: 12, state: 'cordoned', weight: 1, cause: 'cordon' })
    source.changed()
    await frameWith(lastFrame, (x) => /12 +hot-2 +cordoned/.test(x), 'hot-2 cordoned')
    source.model.removeCallee(2, 13)
    source.changed()
    await frameWith(lastFrame, (x) => !x.includes('hot-3') && x.includes('2 callees, 1 taking calls'), 'hot-3 gone')
  })

  it('says so on screen when it is polling a router without the extensions', async () => {
    const s = new FakeSource('polling', 2000)
    s.model.applySnapshot({
      at: 'x',
      realm: 'realm1',
      extensions: false,
      registrations: [{ id: 5, uri: 'std.svc', match: 'exact', invoke: 'single', created: null, callees: [] }],
    })
    const { lastFrame } = setup(s)
    const f = await frameWith(lastFrame, has('std.svc'), 'the table')
    expect(f).toContain('polling the standard meta API every 2000 ms: this router has no wampctl extensions')
    expect(f).toMatch(/std\.svc\s+single\s+0\s+-\s+-\s+-\s+-/)
  })

  it('q quits (the app unmounts)', async () => {
    const { lastFrame, stdin, isUnmounted } = setup()
    await frameWith(lastFrame, has('svc.hot'), 'the table')
    expect(isUnmounted()).toBe(false)
    stdin.write('q')
    await frameWith(
      () => (isUnmounted() ? 'unmounted' : ''),
      (x) => x === 'unmounted',
      'the app to unmount',
    )
  })

  it('keeps the selection on the same registration when rows reorder, so Enter opens what was selected', async () => {
    const source = demoSource()
    const { lastFrame, stdin } = setup(source)
    await frameWith(lastFrame, has('> svc.hot'), 'svc.hot selected on the first row')
    // alpha.mid becomes the busiest: the rows re-sort under the selection
    source.model.applyTick({ seq: 4, at: new Date(4000).toISOString(), interval_ms: 1000, callees: [[3, 31, 1000, 0, 0, 2, 9.5]] })
    source.changed()
    const f = await frameWith(lastFrame, (x) => x.indexOf('alpha.mid') < x.indexOf('svc.hot'), 'alpha.mid on top')
    expect(f).toContain('> svc.hot')
    expect(f).not.toContain('> alpha.mid')
    stdin.write('\r')
    await frameWith(lastFrame, has('svc.hot  (roundrobin, exact, id 2)'), 'svc.hot opened')
  })

  it('the header counts what the filter shows; keys typed in one burst all reach the filter', async () => {
    const { lastFrame, stdin } = setup()
    await frameWith(lastFrame, has('3 registrations'), 'the count')
    stdin.write('/svc')
    await frameWith(lastFrame, (x) => x.includes('/svc█') && x.includes('2 of 3 registrations'), 'filtered count')
    stdin.write('.co\r')
    const f = await frameWith(lastFrame, has('filter: svc.co  (Esc clears)'), 'the whole burst in the filter')
    expect(f).toContain('1 of 3 registrations')
    expect(f).toContain('svc.cold')
  })

  it('while disconnected the header says so and how old the data is, the rows are marked stale; live again after', async () => {
    const source = demoSource()
    const { lastFrame } = setup(source)
    await frameWith(lastFrame, has('live: stats every 1000 ms'), 'live')
    source.disconnected = true
    source.lastUpdateAt = Date.now() - 12_000
    source.changed()
    const f = await frameWith(lastFrame, has('DISCONNECTED – retrying, last update 12s ago'), 'the disconnected header')
    expect(f).not.toContain('live: stats')
    expect(f).toMatch(/URI\s+INVOKE.*SPREAD\s+STALE/)
    source.disconnected = false
    source.lastUpdateAt = Date.now()
    source.changed()
    const back = await frameWith(lastFrame, has('live: stats every 1000 ms'), 'live again')
    expect(back).not.toContain('STALE')
    expect(back).not.toContain('DISCONNECTED')
  })

  it('at 80×24 session ids are never cut; long authids shorten with …; the bar and sparkline give way first', async () => {
    const s = new FakeSource()
    s.model.applySnapshot({
      at: 'x',
      realm: 'realm1',
      extensions: true,
      registrations: [
        {
          id: 9,
          uri: 'com.example.billing.invoice.create',
          match: 'exact',
          invoke: 'roundrobin',
          created: null,
          callees: [c(7422793422963367, 'billing-invoice-service-canary-eu-west-1', 0), c(1234567890123456, 'b-2', 0)],
        },
      ],
    })
    const { lastFrame, stdin } = setup(s, 80, 24)
    await frameWith(lastFrame, has('> com.example.billing.invo'), 'the list')
    stdin.write('\r')
    const f = await frameWith(lastFrame, has('7422793422963367'), 'the detail with the whole id')
    for (const line of f.split('\n')) expect([...line].length).toBeLessThanOrEqual(80)
    expect(f).toContain('1234567890123456')
    expect(f).toMatch(/7422793422963367 billing-in\S*…/)
    expect(f).toMatch(/SESSION\s+AUTHID\s+STATE\s+WT\s+SHARE\s+CALLS\/S\s+INFL\s+ERR\s+P99 MS/)
    expect(f).not.toContain('HISTORY')
  })
})
