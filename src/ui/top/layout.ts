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

/**
 * Registrations table: the URI column fits the longest URI, within what the terminal leaves; one-space gaps under 100 columns.
 * QUEUED (calls waiting for a callee under its concurrency cap) shows only while some registration has calls waiting.
 */
export function listColumns(width: number, longestUri = Infinity, queued = false): { columns: Column[]; gap: string } {
  const gap = width < 100 ? ' ' : '  '
  const fixed: Column[] = [
    { header: 'INVOKE', width: 10, align: 'left' },
    { header: 'CALLEES', width: 7, align: 'right' },
    { header: 'CALLS/S', width: 8, align: 'right' },
    { header: 'IN FLIGHT', width: 9, align: 'right' },
    ...(queued ? [{ header: 'QUEUED', width: 6, align: 'right' as const }] : []),
    { header: 'ERRORS', width: 7, align: 'right' },
    { header: 'SPREAD', width: 7, align: 'right' },
  ]
  if (width < 100) for (const c of fixed.slice(1)) c.width = Math.max(c.header.length, c.width - 1)
  const used = 2 + fixed.reduce((n, c) => n + c.width + gap.length, 0)
  const columns = [
    { header: 'URI', width: Math.max(12, Math.min(width - used - 1, Math.max(24, longestUri))), align: 'left' as const },
    ...fixed,
  ]
  return { columns, gap }
}

export interface CalleeLayout {
  columns: Column[]
  gap: string
  /** Cells of the share bar; 0: no bar, the share as a percentage only. */
  barWidth: number
  /** Cells of the calls/s sparkline; 0: no sparkline column. */
  sparkWidth: number
  /** NODE, shown after SESSION on a cluster (some callee has a node); null on a single router. */
  node: Column | null
}

/** Below this width the callee view packs tighter: short headers, one-space gaps. */
export const WIDE = 140

/** Column indexes of the callee view. */
export const CALLEE_COL = {
  position: 0,
  session: 1,
  authid: 2,
  state: 3,
  weight: 4,
  share: 5,
  rate: 6,
  inflight: 7,
  errors: 8,
  p99: 9,
  history: 10,
}

const MIN_AUTHID = 8

/**
 * A registration's callees. Session ids are never cut (the column is as wide as the longest id);
 * what gives way on a narrow terminal, in this order: the sparkline, the share bar (the
 * percentage stays), then the authid (shortened with …, never below 8 cells).
 */
export function calleeColumns(width: number, sessionWidth = 16, nodeWidth = 0): CalleeLayout {
  const wide = width >= WIDE
  const gap = wide ? '  ' : ' '
  const col = (header: string, short: string, w: number, ws: number, align: 'left' | 'right'): Column => ({
    header: wide ? header : short,
    width: wide ? w : ws,
    align,
  })
  const columns = [
    col('#', '#', 3, 2, 'right'),
    col('SESSION', 'SESSION', Math.max(7, sessionWidth), Math.max(7, sessionWidth), 'left'),
    col('AUTHID', 'AUTHID', MIN_AUTHID, MIN_AUTHID, 'left'),
    col('STATE', 'STATE', 9, 8, 'left'),
    col('WEIGHT', 'WT', 6, 3, 'right'),
    col('SHARE', 'SHARE', 5, 5, 'left'),
    col('CALLS/S', 'CALLS/S', 8, 7, 'right'),
    col('IN FLIGHT', 'INFL', 9, 5, 'right'),
    col('ERRORS', 'ERR', 7, 5, 'right'),
    col('P99 MS', 'P99 MS', 7, 6, 'right'),
    col('CALLS/S HISTORY', 'HISTORY', 0, 0, 'left'),
  ]
  // node names are never cut, like session ids: the column is as wide as the longest
  const node: Column | null = nodeWidth > 0 ? { header: 'NODE', width: Math.max(4, nodeWidth), align: 'left' } : null
  // prefix ("> "), the columns before the sparkline and their gaps, one cell spare
  const used =
    2 +
    columns.slice(0, -1).reduce((n, c) => n + c.width, 0) +
    gap.length * (columns.length - 2) +
    1 +
    (node === null ? 0 : node.width + gap.length)
  let free = Math.max(0, width - used)
  const grow = (n: number): number => {
    const k = Math.max(0, Math.min(n, free))
    free -= k
    return k
  }
  columns[CALLEE_COL.authid]!.width += grow(20 - MIN_AUTHID)
  let barWidth = 0
  if (free >= 6) {
    barWidth = Math.min(wide ? 20 : 10, free - 1)
    columns[CALLEE_COL.share]!.width += grow(barWidth + 1)
  }
  let sparkWidth = 0
  if (free >= 8 + gap.length) {
    sparkWidth = Math.min(30, free - gap.length)
    grow(sparkWidth + gap.length)
  }
  columns[CALLEE_COL.history]!.width = sparkWidth
  columns[CALLEE_COL.authid]!.width += grow(12)
  return { columns: sparkWidth > 0 ? columns : columns.slice(0, -1), gap, barWidth, sparkWidth, node }
}

/** The header's columns in display order: NODE after SESSION when the layout has one. */
export function calleeHeaderColumns(layout: CalleeLayout): Column[] {
  const c = layout.columns
  return layout.node === null ? c : [...c.slice(0, CALLEE_COL.authid), layout.node, ...c.slice(CALLEE_COL.authid)]
}
