import { fit, fmtCount, fmtMs, fmtRate, fmtShare, fmtSpread } from '../live/format.js'
import type { LiveModel } from '../live/model.js'
import { calleeRows, registrationRows, sortAndFilter, type CalleeRow, type RegistrationRow } from '../live/rows.js'

/**
 * What the dashboard's widgets show, computed from the live model without blessed (so it can be
 * tested as plain data): registrations in a stable order (URI), the selected one's callees, the
 * bar and line chart series.
 */
export interface DashboardData {
  registrations: RegistrationRow[]
  /** Index of the selected registration in `registrations` (0 when there is none). */
  selected: number
  registration: RegistrationRow | undefined
  callees: CalleeRow[]
}

/** Line chart colours, one per callee (cycled). */
export const SERIES_COLORS = ['yellow', 'green', 'cyan', 'magenta', 'red', 'blue', 'white'] as const

export function dashboardData(model: LiveModel, selectedId: number | null, samples: number): DashboardData {
  const registrations = sortAndFilter(registrationRows(model), 'uri')
  const found = selectedId === null ? -1 : registrations.findIndex((r) => r.id === selectedId)
  const selected = Math.max(0, found)
  const registration = registrations[selected]
  return { registrations, selected, registration, callees: registration === undefined ? [] : calleeRows(model, registration.id, samples) }
}

/** Short callee label for charts: its position and authid. */
export function calleeLabel(c: CalleeRow, max = 15): string {
  const name = c.authid ?? String(c.session)
  const label = `#${c.position} ${name}`
  return label.length > max ? label.slice(0, max - 1) + '…' : label
}

/** Bar chart: each callee's share of the registration's recent calls, in percent. */
export function barData(callees: CalleeRow[]): { titles: string[]; data: number[] } {
  return { titles: callees.map((c) => `#${c.position}`), data: callees.map((c) => (c.share === null ? 0 : Math.round(c.share * 100))) }
}

/**
 * Line chart: calls/s per callee over the last samples (left-padded with zeros so every series
 * lines up). The window grows with the history, from `minSamples` up to `maxSamples`, so a fresh
 * dashboard does not squeeze its first seconds into the right edge.
 */
export function lineSeries(
  callees: CalleeRow[],
  maxSamples: number,
  intervalMs: number,
  minSamples = 30,
): Array<{ title: string; x: string[]; y: number[]; style: { line: string } }> {
  const longest = callees.reduce((m, c) => Math.max(m, c.history.length), 0)
  const n = Math.max(2, Math.min(maxSamples, Math.max(minSamples, longest)))
  const x = Array.from({ length: n }, (_, i) => {
    const secondsAgo = Math.round(((n - 1 - i) * intervalMs) / 1000)
    return secondsAgo === 0 ? 'now' : `-${secondsAgo}s`
  })
  return callees.map((c, i) => {
    const h = c.history.slice(-n)
    const y = [...new Array<number>(n - h.length).fill(0), ...h.map((v) => Number(v.toFixed(1)))]
    return { title: calleeLabel(c), x, y, style: { line: SERIES_COLORS[i % SERIES_COLORS.length]! } }
  })
}

export const REGISTRATION_HEADERS = ['  URI', 'INVOKE', 'CALLEES', 'CALLS/S', 'IN FLIGHT', 'ERRORS', 'SPREAD']

/** Cut every cell to its column's width (blessed-contrib pads but does not cut cleanly). */
export function fitCells(rows: string[][], widths: number[]): string[][] {
  return rows.map((r) => r.map((cell, i) => fit(cell, widths[i] ?? cell.length).trimEnd()))
}

/** Table rows; the selected one is marked with ">" (visible in a plain text capture too). */
export function registrationTable(rows: RegistrationRow[], selected = -1): string[][] {
  return rows.map((r, i) => [
    `${i === selected ? '>' : ' '} ${r.uri}`,
    r.invoke,
    String(r.callees),
    fmtRate(r.rate),
    fmtCount(r.inflight),
    fmtCount(r.errors),
    fmtSpread(r.spread),
  ])
}

export const CALLEE_HEADERS = [' #', 'SESSION', 'AUTHID', 'STATE', 'WEIGHT', 'SHARE', 'CALLS/S', 'IN FLIGHT', 'ERRORS', 'P99 MS']

export function calleeTable(callees: CalleeRow[], selected = -1): string[][] {
  return callees.map((c, i) => [
    `${i === selected ? '>' : ' '}${c.position}`,
    String(c.session),
    c.authid ?? '-',
    c.state,
    c.weight === null ? '-' : String(c.weight),
    fmtShare(c.share),
    fmtRate(c.rate),
    fmtCount(c.inflight),
    fmtCount(c.errors),
    fmtMs(c.p99_ms),
  ])
}
