import { describe, expect, it } from 'vitest'
import { LiveModel } from '../../src/ui/live/model.js'
import {
  barData,
  CALLEE_COLUMNS,
  CELL_GAP,
  calleeTable,
  dashboardData,
  fitCells,
  fitColumns,
  lineSeries,
  REGISTRATION_COLUMNS,
  registrationTable,
} from '../../src/ui/dashboard/view.js'
import { SERIES_COLORS, SeriesColors } from '../../src/ui/dashboard/series-colors.js'

function model(): LiveModel {
  const m = new LiveModel()
  const callee = (session: number, authid: string) => ({
    session,
    authid,
    authrole: 'x',
    state: 'active' as const,
    weight: 1,
    calls: 0,
    errors: 0,
    inflight: 0,
    p50_ms: 1,
    p99_ms: 3.25,
    last_call_at: null,
  })
  m.applySnapshot({
    at: 'x',
    realm: 'realm1',
    extensions: true,
    registrations: [
      {
        id: 7,
        uri: 'zeta.svc',
        match: 'exact',
        invoke: 'roundrobin',
        created: null,
        callees: [callee(1, 'z-1'), callee(2, 'z-2-with-a-long-authid')],
      },
      { id: 8, uri: 'alpha.svc', match: 'exact', invoke: 'random', created: null, callees: [callee(3, 'a-1')] },
    ],
  })
  m.applyTick({
    seq: 1,
    at: new Date(1000).toISOString(),
    interval_ms: 1000,
    callees: [
      [7, 1, 30, 0, 0, 1, 3.25],
      [7, 2, 10, 0, 0, 1, 3.25],
      [8, 3, 5, 0, 0, 1, 3.25],
    ],
  })
  m.applyTick({
    seq: 2,
    at: new Date(2000).toISOString(),
    interval_ms: 1000,
    callees: [
      [7, 1, 60, 0, 0, 1, 3.25],
      [7, 2, 20, 0, 0, 1, 3.25],
    ],
  })
  return m
}

describe('dashboard view data', () => {
  it('orders registrations by URI (stable while rates move) and selects the first until told otherwise', () => {
    const d = dashboardData(model(), null, 180)
    expect(d.registrations.map((r) => r.uri)).toEqual(['alpha.svc', 'zeta.svc'])
    expect(d.registration?.uri).toBe('alpha.svc')
    const z = dashboardData(model(), 7, 180)
    expect(z.selected).toBe(1)
    expect(z.callees.map((c) => c.authid)).toEqual(['z-1', 'z-2-with-a-long-authid'])
    // a registration that went away: back to the first
    expect(dashboardData(model(), 999, 180).selected).toBe(0)
  })

  it('bar chart: each callee’s share of recent calls in percent, labelled by position', () => {
    const z = dashboardData(model(), 7, 180)
    expect(barData(z.callees)).toEqual({ titles: ['#1', '#2'], data: [75, 25] })
  })

  it('line chart: one series per callee, left-padded to the window, labelled by position and authid', () => {
    const z = dashboardData(model(), 7, 180)
    const series = lineSeries(z.callees, 4, 1000, 4)
    expect(series.map((s) => s.title)).toEqual(['#1 z-1', '#2 z-2-with-a-…'])
    expect(series[0]!.x).toEqual(['-3s', '-2s', '-1s', 'now'])
    expect(series[0]!.y).toEqual([0, 0, 30, 30])
    expect(series[1]!.y).toEqual([0, 0, 10, 10])
    expect(series[0]!.style.line).not.toBe(series[1]!.style.line)
    // the window grows with the history: 2 samples so far → the 30-sample minimum, not 180
    const fresh = lineSeries(z.callees, 180, 1000)
    expect(fresh[0]!.x).toHaveLength(30)
    expect(fresh[0]!.x[0]).toBe('-29s')
    expect(fresh[0]!.y.slice(-3)).toEqual([0, 30, 30])
  })

  it('tables: the selected row is marked, cells are cut to their columns', () => {
    const z = dashboardData(model(), 7, 180)
    const regs = registrationTable(z.registrations, z.selected)
    expect(regs).toEqual([
      // calls/s over the recent window (two ticks, 2 s): alpha had 5 calls in the first → 2.5
      ['  alpha.svc', 'random', '1', '2.5', '0', '0', '-'],
      ['> zeta.svc', 'roundrobin', '2', '40.0', '0', '0', '3.00x'],
    ])
    const callees = fitCells(calleeTable(z.callees, 1), [3, 16, 10, 9, 6, 5, 7, 9, 6, 6])
    expect(callees).toEqual([
      [' 1', '1', 'z-1', 'active', '1', '75%', '30.0', '0', '0', '3.3'],
      ['>2', '2', 'z-2-with-…', 'active', '1', '25%', '10.0', '0', '0', '3.3'],
    ])
  })

  it('columns fit the box: optional ones go first (never SESSION, whose 16 cells are kept whole), the flexible one takes the rest', () => {
    const width = (l: ReturnType<typeof fitColumns>) => l.widths.reduce((n, w) => n + w + CELL_GAP, 0)
    const wide = fitColumns(CALLEE_COLUMNS, 101)
    expect(wide.headers).toEqual([' #', 'SESSION', 'AUTHID', 'STATE', 'WEIGHT', 'SHARE', 'CALLS/S', 'IN FLIGHT', 'ERRORS', 'P99 MS'])
    expect(width(wide)).toBeLessThanOrEqual(101)
    const narrow = fitColumns(CALLEE_COLUMNS, 50) // the callees box of an 80-column terminal
    expect(narrow.headers).toEqual([' #', 'SESSION', 'AUTHID', 'STATE', 'CALLS/S'])
    expect(narrow.widths[1]).toBe(16)
    expect(width(narrow)).toBeLessThanOrEqual(50)
    const regs = fitColumns(REGISTRATION_COLUMNS, 50)
    expect(regs.headers).toEqual(['  URI', 'CALLS/S', 'ERRORS', 'SPREAD'])
    expect(width(regs)).toBeLessThanOrEqual(50)
  })
})

describe('SeriesColors', () => {
  it('keeps a surviving callee’s colour when one before it leaves, and gives a newcomer a free one', () => {
    const colors = new SeriesColors()
    const [a, b, c] = colors.assign([11, 22, 33])
    expect(new Set([a, b, c]).size).toBe(3)
    // 11 replaced by 44 (a rolling replace): 22 and 33 move up a position but keep their colours
    const after = colors.assign([22, 33, 44])
    expect(after.slice(0, 2)).toEqual([b, c])
    expect(after[2]).toBe(a)
    // the chart draws each line in the colour given for its callee
    const z = dashboardData(model(), 7, 180)
    expect(lineSeries(z.callees, 4, 1000, 4, ['red', 'blue']).map((s) => s.style.line)).toEqual(['red', 'blue'])
  })

  it('cycles the palette when there are more callees than colours, each callee keeping its own', () => {
    const colors = new SeriesColors()
    const sessions = Array.from({ length: SERIES_COLORS.length + 2 }, (_, i) => i + 1)
    const first = colors.assign(sessions)
    expect(new Set(first.slice(0, SERIES_COLORS.length)).size).toBe(SERIES_COLORS.length)
    expect(colors.assign(sessions)).toEqual(first)
  })
})
