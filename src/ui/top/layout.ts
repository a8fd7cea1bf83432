import { fit } from '../live/format.js'

/** Column layout of the top views: fixed columns, with the URI / authid / sparkline taking what is left. */
export interface Column {
  header: string
  width: number
  align: 'left' | 'right'
}

export const GAP = '  '

export function line(columns: Column[], cells: string[]): string {
  return columns.map((c, i) => fit(cells[i] ?? '', c.width, c.align)).join(GAP)
}

export function header(columns: Column[]): string {
  return line(
    columns,
    columns.map((c) => c.header),
  )
}

/** Registrations table: the URI column fits the longest URI, within what the terminal leaves. */
export function listColumns(width: number, longestUri = Infinity): Column[] {
  const fixed: Column[] = [
    { header: 'INVOKE', width: 10, align: 'left' },
    { header: 'CALLEES', width: 7, align: 'right' },
    { header: 'CALLS/S', width: 8, align: 'right' },
    { header: 'IN FLIGHT', width: 9, align: 'right' },
    { header: 'ERRORS', width: 7, align: 'right' },
    { header: 'SPREAD', width: 7, align: 'right' },
  ]
  const used = 2 + fixed.reduce((n, c) => n + c.width + GAP.length, 0)
  return [{ header: 'URI', width: Math.max(12, Math.min(width - used - 1, Math.max(24, longestUri))), align: 'left' }, ...fixed]
}

export interface CalleeLayout {
  columns: Column[]
  barWidth: number
  sparkWidth: number
}

/** A registration's callees: the share bar, authid and sparkline adapt to the width. */
export function calleeColumns(width: number): CalleeLayout {
  const fixedWidths = 2 + (3 + 16 + 9 + 6 + 8 + 9 + 7) + 7 * GAP.length
  let rest = width - 1 - fixedWidths
  const barWidth = rest >= 80 ? 20 : 10
  rest -= barWidth + 5 + GAP.length
  const sparkWidth = Math.max(8, Math.min(30, rest - 14 - 2 * GAP.length))
  const authWidth = Math.max(6, Math.min(20, rest - sparkWidth - 2 * GAP.length))
  return {
    barWidth,
    sparkWidth,
    columns: [
      { header: '#', width: 3, align: 'right' },
      { header: 'SESSION', width: 16, align: 'left' },
      { header: 'AUTHID', width: authWidth, align: 'left' },
      { header: 'STATE', width: 9, align: 'left' },
      { header: 'WEIGHT', width: 6, align: 'right' },
      { header: 'SHARE', width: barWidth + 5, align: 'left' },
      { header: 'CALLS/S', width: 8, align: 'right' },
      { header: 'IN FLIGHT', width: 9, align: 'right' },
      { header: 'P99 MS', width: 7, align: 'right' },
      { header: 'CALLS/S HISTORY', width: sparkWidth, align: 'left' },
    ],
  }
}
