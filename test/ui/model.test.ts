import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SnapshotView } from '../../src/client/views.js'
import type { StatsTick } from '../../src/protocol/extensions.js'
import { LiveModel } from '../../src/ui/live/model.js'
import { RateHistory } from '../../src/ui/live/rate-history.js'
import { calleeRows, nextSortKey, registrationRows, sortAndFilter } from '../../src/ui/live/rows.js'
import { sparkline } from '../../src/ui/live/sparkline.js'
import { throttle } from '../../src/ui/live/throttle.js'

/** Synthetic snapshots and ticks in the exact wire shapes (the feed test drives a real router). */
function callee(session: number, calls: number, extra: Partial<SnapshotView['registrations'][0]['callees'][0]> = {}) {
  return {
    session,
    authid: `c-${session}`,
    authrole: 'anonymous',
    state: 'active' as const,
    weight: 1,
    calls,
    errors: 0,
    inflight: 0,
    p50_ms: 1,
    p99_ms: 2,
    last_call_at: null,
    ...extra,
  }
}

function snapshot(regs: Array<{ id: number; uri: string; invoke?: string; callees: ReturnType<typeof callee>[] }>): SnapshotView {
  return {
    at: '2026-01-01T00:00:00.000Z',
    realm: 'realm1',
    extensions: true,
    registrations: regs.map((r) => ({
      id: r.id,
      uri: r.uri,
      match: 'exact',
      invoke: r.invoke ?? 'roundrobin',
      created: null,
      callees: r.callees,
    })),
  }
}

let seq = 0
function tick(atMs: number, callees: StatsTick['callees']): StatsTick {
  return { seq: ++seq, at: new Date(atMs).toISOString(), interval_ms: 1000, callees }
}

describe('LiveModel', () => {
  it('turns cumulative tick counters into calls/s per callee, 0 for callees the tick leaves out', () => {
    const m = new LiveModel()
    m.applySnapshot(snapshot([{ id: 1, uri: 'a', callees: [callee(10, 100), callee(11, 50)] }]))
    m.applyTick(tick(1_000, [[1, 10, 150, 0, 2, 1, 3]]))
    m.applyTick(
      tick(3_000, [
        [1, 10, 250, 1, 0, 1, 4],
        [1, 11, 90, 0, 1, 1, 2],
      ]),
    )
    const rows = calleeRows(m, 1)
    expect(rows.map((r) => r.session)).toEqual([10, 11])
    // first tick: 50 calls over the tick's interval (1 s); second: 100 over 2 s (from the ticks' times)
    expect(rows[0]!.history).toEqual([50, 50])
    expect(rows[1]!.history).toEqual([0, 20])
    // calls/s over the recent window (both ticks, 3 s): 150 calls → 50/s; 40 → 13.3/s
    expect(rows[0]!.rate).toBe(50)
    expect(rows[1]!.rate).toBe(13.3)
    expect(rows[0]!.errors).toBe(1)
    expect(rows[0]!.p99_ms).toBe(4)
    const reg = registrationRows(m)[0]!
    expect(reg.rate).toBe(63.3)
    expect(reg.calls_total).toBe(340)
    expect(reg.inflight).toBe(1)
    expect(reg.errors).toBe(1)
  })

  it('reports a tick naming an unknown callee so the feed re-snapshots', () => {
    const m = new LiveModel()
    m.applySnapshot(snapshot([{ id: 1, uri: 'a', callees: [callee(10, 0)] }]))
    expect(m.applyTick(tick(1_000, [[1, 10, 5, 0, 0, 1, 1]])).unknown).toBe(false)
    expect(m.applyTick(tick(2_000, [[1, 99, 5, 0, 0, 1, 1]])).unknown).toBe(true)
    expect(m.applyState({ registration: 2, uri: 'b', session: 10, state: 'cordoned', weight: 1, cause: 'cordon' }).unknown).toBe(true)
  })

  it('keeps history and the counter baseline of known callees across a snapshot, and drops what the snapshot lacks', () => {
    const m = new LiveModel()
    m.applySnapshot(
      snapshot([
        { id: 1, uri: 'a', callees: [callee(10, 0), callee(11, 0)] },
        { id: 2, uri: 'b', callees: [callee(12, 0)] },
      ]),
    )
    m.applyTick(tick(1_000, [[1, 10, 10, 0, 0, 1, 1]]))
    // calls happened after that tick; the snapshot sees 30 but the next tick must still count 20 more, not 0
    m.applySnapshot(snapshot([{ id: 1, uri: 'a', callees: [callee(10, 30, { state: 'cordoned' }), callee(13, 7)] }]))
    expect(m.registrations.has(2)).toBe(false)
    expect(m.callee(1, 11)).toBeUndefined()
    expect(m.callee(1, 10)!.state).toBe('cordoned')
    m.applyTick(tick(2_000, [[1, 10, 30, 0, 0, 1, 1]]))
    expect(calleeRows(m, 1).map((r) => [r.session, r.history])).toEqual([
      [10, [10, 20]],
      [13, [0]],
    ])
  })

  it('shares and spread come from the recent window of active callees; policies that do not spread have none', () => {
    const m = new LiveModel({ window: 10 })
    m.applySnapshot(
      snapshot([
        { id: 1, uri: 'rr', callees: [callee(10, 0), callee(11, 0), callee(12, 0, { state: 'cordoned' })] },
        { id: 2, uri: 'first', invoke: 'first', callees: [callee(20, 0), callee(21, 0)] },
      ]),
    )
    m.applyTick(
      tick(1_000, [
        [1, 10, 30, 0, 0, 1, 1],
        [1, 11, 10, 0, 0, 1, 1],
        [2, 20, 40, 0, 0, 1, 1],
      ]),
    )
    const rows = calleeRows(m, 1)
    expect(rows.map((r) => r.share)).toEqual([0.75, 0.25, 0])
    const byUri = Object.fromEntries(registrationRows(m).map((r) => [r.uri, r]))
    expect(byUri.rr!.spread).toBe(3) // the cordoned callee's 0 does not count
    expect(byUri.rr!.active).toBe(2)
    expect(byUri.first!.spread).toBeNull()
    m.applyTick(tick(2_000, [[1, 10, 31, 0, 0, 1, 1]]))
    expect(registrationRows(m).find((r) => r.uri === 'rr')!.spread).toBe(31 / 10)
    m.applySnapshot(snapshot([{ id: 1, uri: 'rr', callees: [callee(10, 31), callee(11, 10), callee(14, 0)] }]))
    expect(registrationRows(m).find((r) => r.uri === 'rr')!.spread).toBe(Infinity)
  })

  it('patches the structure from meta events until the next snapshot', () => {
    const m = new LiveModel()
    m.applySnapshot(
      snapshot([
        { id: 1, uri: 'a', callees: [callee(10, 0), callee(11, 0)] },
        { id: 2, uri: 'b', callees: [callee(10, 0)] },
      ]),
    )
    const v = m.version
    m.addRegistration({ id: 3, uri: 'c', invoke: 'random' })
    m.removeCallee(1, 11)
    m.removeSession(10)
    expect(m.version).toBeGreaterThan(v)
    expect(registrationRows(m).map((r) => [r.uri, r.invoke, r.callees])).toEqual([
      ['a', 'roundrobin', 0],
      ['b', 'roundrobin', 0],
      ['c', 'random', 0],
    ])
    m.removeRegistration(2)
    expect([...m.registrations.keys()]).toEqual([1, 3])
    expect(m.calleeCount).toBe(0)
  })

  it('without statistics (standard meta API) rates, in flight and errors are unknown', () => {
    const m = new LiveModel()
    const s = snapshot([
      {
        id: 1,
        uri: 'a',
        callees: [
          callee(10, 0, {
            calls: null as unknown as number,
            inflight: null as unknown as number,
            errors: null as unknown as number,
            state: 'unknown' as 'active',
          }),
        ],
      },
    ])
    m.applySnapshot({ ...s, extensions: false })
    const r = registrationRows(m)[0]!
    expect([r.rate, r.inflight, r.errors, r.spread]).toEqual([null, null, null, null])
    expect(calleeRows(m, 1)[0]!.share).toBeNull()
  })
})

describe('rows, history, sparkline, throttle', () => {
  it('sorts by calls/s (ties by URI), cycles the sort, filters by URI substring', () => {
    const rows = [
      {
        id: 1,
        uri: 'b.svc',
        match: 'exact',
        invoke: 'roundrobin',
        callees: 2,
        active: 2,
        rate: 5,
        inflight: 0,
        errors: 3,
        spread: 1,
        calls_total: null,
        errors_total: null,
      },
      {
        id: 2,
        uri: 'a.svc',
        match: 'exact',
        invoke: 'roundrobin',
        callees: 1,
        active: 1,
        rate: 9,
        inflight: 0,
        errors: 0,
        spread: null,
        calls_total: null,
        errors_total: null,
      },
      {
        id: 3,
        uri: 'c.other',
        match: 'exact',
        invoke: 'roundrobin',
        callees: 5,
        active: 5,
        rate: 5,
        inflight: 1,
        errors: 0,
        spread: 2,
        calls_total: null,
        errors_total: null,
      },
    ]
    expect(sortAndFilter(rows, 'calls/s').map((r) => r.uri)).toEqual(['a.svc', 'b.svc', 'c.other'])
    expect(sortAndFilter(rows, 'uri').map((r) => r.uri)).toEqual(['a.svc', 'b.svc', 'c.other'])
    expect(sortAndFilter(rows, 'callees').map((r) => r.uri)).toEqual(['c.other', 'b.svc', 'a.svc'])
    expect(sortAndFilter(rows, 'errors').map((r) => r.uri)).toEqual(['b.svc', 'a.svc', 'c.other'])
    expect(sortAndFilter(rows, 'calls/s', 'SVC').map((r) => r.uri)).toEqual(['a.svc', 'b.svc'])
    expect(nextSortKey('calls/s')).toBe('uri')
    expect(nextSortKey('spread')).toBe('calls/s')
  })

  it('keeps the last N samples in order', () => {
    const h = new RateHistory(3)
    for (const v of [1, 2, 3, 4, 5]) h.push(v)
    expect(h.last()).toEqual([3, 4, 5])
    expect(h.last(2)).toEqual([4, 5])
    expect(h.sumLast(2)).toBe(9)
    expect(h.length).toBe(3)
  })

  it('draws a right-aligned sparkline scaled to the max, in unicode blocks', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)).toBe('▁▂▃▄▅▆▇█')
    expect(sparkline([7, 7], 4)).toBe('  ██')
    expect(sparkline([1, 2], 3, 14)).toBe(' ▂▂')
    expect(sparkline([0, 0], 2)).toBe('▁▁')
  })

  describe('throttle', () => {
    afterEach(() => {
      vi.useRealTimers()
    })
    it('runs a burst once at once and once at the end of the interval, never more', () => {
      vi.useFakeTimers()
      let now = 0
      let runs = 0
      const t = throttle(
        () => runs++,
        100,
        () => now,
      )
      for (let i = 0; i < 50; i++) t.schedule()
      expect(runs).toBe(1)
      now = 100
      vi.advanceTimersByTime(100)
      expect(runs).toBe(2) // the burst's tail, once
      for (let i = 0; i < 10; i++) t.schedule()
      expect(runs).toBe(2)
      now = 200
      vi.advanceTimersByTime(100)
      expect(runs).toBe(3)
      now = 1000
      t.schedule()
      expect(runs).toBe(4) // idle long enough: at once
      t.cancel()
    })
  })
})
