import { Box, Text } from 'ink'
import { bar } from '../table.js'
import { fit, fmtCount, fmtMs, fmtRate, fmtShare, fmtSpread } from '../live/format.js'
import type { CalleeRow, RegistrationRow } from '../live/rows.js'
import { sparkline } from '../live/sparkline.js'
import { calleeColumns, header } from './layout.js'
import { windowStart } from './registration-table.js'
import { Row, runs } from './row.js'

export interface RegistrationViewProps {
  registration: RegistrationRow | undefined
  callees: CalleeRow[]
  selected: number
  width: number
  height: number
}

const STATE_COLOR: Record<string, string> = { active: 'green', cordoned: 'yellow', draining: 'magenta', unknown: 'gray' }

/** One registration: its callees in routing order with state, weight, share bar, calls/s, in flight, p99 and a calls/s sparkline. */
export function RegistrationView({ registration, callees, selected, width, height }: RegistrationViewProps) {
  if (registration === undefined) {
    return <Text color="yellow">This registration is gone (all its callees left). Esc goes back.</Text>
  }
  const layout = calleeColumns(width)
  const cols = layout.columns
  const gap = layout.gap
  const max = callees.reduce((m, c) => c.history.reduce((a, v) => (v > a ? v : a), m), 0)
  const h = Math.max(1, height)
  const start = windowStart(callees.length, selected, h)
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>{registration.uri}</Text>
        {`  (${registration.invoke}, ${registration.match}, id ${registration.id})`}
      </Text>
      <Row
        cells={[
          `${registration.callees} callee(s), ${registration.active} active`,
          '  ·  calls/s ',
          fmtRate(registration.rate),
          '  ·  in flight ',
          fmtCount(registration.inflight),
          '  ·  errors ',
          fmtCount(registration.errors),
          '  ·  spread ',
          fmtSpread(registration.spread),
        ]}
      />
      <Text bold wrap="truncate-end">
        {'  ' + header(cols, gap)}
      </Text>
      {callees.length === 0 ? <Text dimColor> (no callees)</Text> : null}
      {callees.slice(start, start + h).map((c, i) => {
        const isSelected = start + i === selected
        const cell = (k: number, text: string): string => fit(text, cols[k]!.width, cols[k]!.align)
        const share = c.share === null ? fit('-', cols[5]!.width) : `${bar(c.share, layout.barWidth)} ${fit(fmtShare(c.share), 4, 'right')}`
        const spark = c.rate === null ? [fit('-', layout.sparkWidth)] : runs(sparkline(c.history, layout.sparkWidth, max))
        const cells = [
          isSelected ? '> ' : '  ',
          cell(0, String(c.position)),
          gap + cell(1, String(c.session)),
          gap + cell(2, c.authid ?? '-'),
          { text: gap + cell(3, c.state), color: STATE_COLOR[c.state] },
          gap + cell(4, c.weight === null ? '-' : String(c.weight)),
          gap + share,
          gap + cell(6, fmtRate(c.rate)),
          gap + cell(7, fmtCount(c.inflight)),
          gap + cell(8, fmtMs(c.p99_ms)),
          gap,
          ...spark,
        ]
        return <Row key={c.session} inverse={isSelected} cells={cells} />
      })}
    </Box>
  )
}
