import { Box, Text } from 'ink'
import { fit, fmtCount, fmtRate, fmtSpread } from '../live/format.js'
import type { RegistrationRow } from '../live/rows.js'
import { header, listColumns } from './layout.js'
import { Row } from './row.js'

export interface RegistrationTableProps {
  rows: RegistrationRow[]
  selected: number
  width: number
  /** Lines available for rows. */
  height: number
  /** The connection is lost: the rows are the last data seen, not live (dimmed, marked in the header). */
  stale?: boolean
}

/** Where a window of `height` rows starts so that `selected` is visible, near the middle. */
export function windowStart(count: number, selected: number, height: number): number {
  if (count <= height) return 0
  return Math.max(0, Math.min(selected - Math.floor(height / 2), count - height))
}

/** The registrations table; only the visible window is rendered (1,000 registrations cost 30 lines). */
export function RegistrationTable({ rows, selected, width, height, stale = false }: RegistrationTableProps) {
  const queued = rows.some((r) => (r.queued ?? 0) > 0)
  const { columns, gap } = listColumns(
    width,
    rows.reduce((n, r) => Math.max(n, r.uri.length), 0),
    queued,
  )
  const h = Math.max(1, height)
  const start = windowStart(rows.length, selected, h)
  const visible = rows.slice(start, start + h)
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {'  ' + header(columns, gap) + (stale ? '  STALE' : '')}
      </Text>
      {rows.length === 0 ? <Text dimColor> (no registrations)</Text> : null}
      {visible.map((r, i) => {
        const isSelected = start + i === selected
        const values = [
          r.uri,
          r.invoke,
          String(r.callees),
          fmtRate(r.rate),
          fmtCount(r.inflight),
          ...(queued ? [fmtCount(r.queued ?? null)] : []),
          fmtCount(r.errors),
          fmtSpread(r.spread),
        ]
        const cells = values.map((v, k) => (k === 0 ? '' : gap) + fit(v, columns[k]!.width, columns[k]!.align))
        return <Row key={r.id} inverse={isSelected} dim={stale} cells={[isSelected ? '> ' : '  ', ...cells]} />
      })}
      {rows.length > h ? <Text dimColor>{`  rows ${start + 1}-${start + visible.length} of ${rows.length}`}</Text> : null}
    </Box>
  )
}
