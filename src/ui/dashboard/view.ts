import { fit, fmtCount, fmtMs, fmtRate, fmtShare, fmtSpread } from '../live/format.js'
import type { LiveModel } from '../live/model.js'
import { calleeRows, registrationRows, sortAndFilter, type CalleeRow, type RegistrationRow } from '../live/rows.js'
import { SERIES_COLORS } from './series-colors.js'

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
 * dashboard does not squeeze its first seconds into the right edge. `colors` (one per callee, from
 * SeriesColors) keeps a callee's colour while it stays; without it, colours follow positions.
 */
export function lineSeries(
  callees: CalleeRow[],
  maxSamples: number,
  intervalMs: number,
  minSamples = 30,
  colors?: readonly string[],
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
    return { title: calleeLabel(c), x, y, style: { line: colors?.[i] ?? SERIES_COLORS[i % SERIES_COLORS.length]! } }
  })
}

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

/** The callees have nodes (a cluster): the callee table shows NODE after SESSION. */
export function hasNodes(callees: CalleeRow[]): boolean {
  return callees.some((c) => c.node !== undefined)
}

export function calleeTable(callees: CalleeRow[], selected = -1, nodes = false): string[][] {
  return callees.map((c, i) => [
    `${i === selected ? '>' : ' '}${c.position}`,
    String(c.session),
    ...(nodes ? [c.node ?? '-'] : []),
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

/** A table column of the dashboard: its width, or (flex) the least it takes and the most it wants. */
export interface TableColumn {
  header: string
  width: number
  /** Takes what is left, from `width` up to `max`. */
  flex?: { max: number }
  /** Dropped first when the box is narrow: higher goes first; undefined: never dropped. */
  drop?: number
}

export const REGISTRATION_COLUMNS: TableColumn[] = [
  { header: '  URI', width: 12, flex: { max: 48 } },
  { header: 'INVOKE', width: 10, drop: 2 },
  { header: 'CALLEES', width: 7, drop: 3 },
  { header: 'CALLS/S', width: 7 },
  { header: 'IN FLIGHT', width: 9, drop: 4 },
  { header: 'ERRORS', width: 6, drop: 1 },
  { header: 'SPREAD', width: 6 },
]

/** A session id is never cut (16 digits); the authid shortens with … before anything else gives way. */
export const CALLEE_COLUMNS: TableColumn[] = [
  { header: ' #', width: 3 },
  { header: 'SESSION', width: 16 },
  { header: 'AUTHID', width: 6, flex: { max: 24 } },
  { header: 'STATE', width: 8 },
  { header: 'WEIGHT', width: 6, drop: 5 },
  { header: 'SHARE', width: 5, drop: 1 },
  { header: 'CALLS/S', width: 7 },
  { header: 'IN FLIGHT', width: 9, drop: 4 },
  { header: 'ERRORS', width: 6, drop: 2 },
  { header: 'P99 MS', width: 6, drop: 3 },
]

/** The callee columns: with NODE after SESSION on a cluster (dropped before the share, after the weight). */
export function calleeColumnsOf(nodes: boolean): TableColumn[] {
  if (!nodes) return CALLEE_COLUMNS
  return [...CALLEE_COLUMNS.slice(0, 2), { header: 'NODE', width: 6, drop: 4.5 }, ...CALLEE_COLUMNS.slice(2)]
}

/** blessed-contrib pads each cell to its width plus this (columnSpacing 3 → 2 spaces). */
export const CELL_GAP = 2

export interface TableLayout {
  /** Indexes of the columns shown, in order. */
  keep: number[]
  /** Their widths. */
  widths: number[]
  headers: string[]
}

/**
 * The columns that fit `inner` cells: drop the optional ones (highest `drop` first) until the rest
 * fit, then give the flexible column what is left. The header line never wraps.
 */
export function fitColumns(columns: TableColumn[], inner: number): TableLayout {
  const keep = columns.map((_, i) => i)
  const need = (): number => keep.reduce((n, i) => n + columns[i]!.width + CELL_GAP, 0)
  const droppable = columns
    .map((c, i) => ({ i, drop: c.drop }))
    .filter((c): c is { i: number; drop: number } => c.drop !== undefined)
    .sort((a, b) => b.drop - a.drop)
  for (const d of droppable) {
    if (need() <= inner) break
    keep.splice(keep.indexOf(d.i), 1)
  }
  const widths = keep.map((i) => columns[i]!.width)
  const flex = keep.findIndex((i) => columns[i]!.flex !== undefined)
  if (flex >= 0) {
    const spare = Math.max(0, inner - need())
    widths[flex] = Math.min(columns[keep[flex]!]!.flex!.max, widths[flex]! + spare)
  }
  return { keep, widths, headers: keep.map((i) => columns[i]!.header) }
}

/** The cells of the kept columns, cut to their widths. */
export function layoutRows(rows: string[][], layout: TableLayout): string[][] {
  return fitCells(
    rows.map((r) => layout.keep.map((i) => r[i] ?? '')),
    layout.widths,
  )
}
