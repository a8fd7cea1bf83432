import { fit } from '../live/format.js'

/** Column layout of the top views: fixed columns, with the URI / authid / sparkline taking what is left. */
export interface Column {
  header: string
  width: number
  align: 'left' | 'right'
}

export function line(columns: Column[], cells: string[], gap = '  '): string {
  return columns.map((c, i) => fit(cells[i] ?? '', c.width, c.align)).join(gap)
}

export function header(columns: Column[], gap = '  '): string {
  return line(
    columns,
    columns.map((c) => c.header),
    gap,
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
  const used = 2 + fixed.reduce((n, c) => n + c.width + 2, 0)
  return [{ header: 'URI', width: Math.max(12, Math.min(width - used - 1, Math.max(24, longestUri))), align: 'left' }, ...fixed]
}

export interface CalleeLayout {
  columns: Column[]
  gap: string
  barWidth: number
  sparkWidth: number
}

/** Below this width the callee view packs tighter: short headers, one-space gaps, a shorter bar. */
export const WIDE = 140

/** A registration's callees: the share bar, authid and sparkline adapt to the width. */
export function calleeColumns(width: number): CalleeLayout {
  const wide = width >= WIDE
  const gap = wide ? '  ' : ' '
  const barWidth = wide ? 20 : 10
  const col = (header: string, short: string, w: number, ws: number, align: 'left' | 'right'): Column => ({
    header: wide ? header : short,
    width: wide ? w : ws,
    align,
  })
  const columns = [
    col('#', '#', 3, 2, 'right'),
    col('SESSION', 'SESSION', 16, 16, 'left'),
    col('AUTHID', 'AUTHID', 0, 0, 'left'),
    col('STATE', 'STATE', 9, 9, 'left'),
    col('WEIGHT', 'WT', 6, 3, 'right'),
    col('SHARE', 'SHARE', barWidth + 5, barWidth + 5, 'left'),
    col('CALLS/S', 'CALLS/S', 8, 7, 'right'),
    col('IN FLIGHT', 'INFL', 9, 5, 'right'),
    col('P99 MS', 'P99 MS', 7, 6, 'right'),
    col('CALLS/S HISTORY', 'HISTORY', 0, 0, 'left'),
  ]
  const used = 2 + columns.reduce((n, c) => n + c.width, 0) + gap.length * (columns.length - 1)
  const rest = Math.max(0, width - 1 - used)
  const sparkWidth = Math.max(8, Math.min(30, rest - 10))
  columns[2]!.width = Math.max(6, Math.min(20, rest - sparkWidth))
  columns[9]!.width = sparkWidth
  return { columns, gap, barWidth, sparkWidth }
}
