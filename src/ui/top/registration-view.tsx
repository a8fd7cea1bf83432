import { Box, Text } from 'ink'
import { bar } from '../table.js'
import { fit, fmtCount, fmtMs, fmtRate, fmtShare, fmtSpread } from '../live/format.js'
import type { CalleeRow, RegistrationRow } from '../live/rows.js'
import { sparkline } from '../live/sparkline.js'
import { CALLEE_COL as K, calleeColumns, calleeHeaderColumns, header } from './layout.js'
import { windowStart } from './registration-table.js'
import { Row, runs } from './row.js'

export interface RegistrationViewProps {
  registration: RegistrationRow | undefined
  callees: CalleeRow[]
  selected: number
  width: number
  height: number
  /** The connection is lost: the last data seen, not live (dimmed, marked). */
  stale?: boolean
}

const STATE_COLOR: Record<string, string> = { active: 'green', cordoned: 'yellow', draining: 'magenta', unknown: 'gray' }

/** One registration: its callees in routing order with state, weight, share bar, calls/s, in flight, p99 and a calls/s sparkline. */
export function RegistrationView({ registration, callees, selected, width, height, stale = false }: RegistrationViewProps) {
  if (registration === undefined) {
    return <Text color="yellow">This registration is gone (all its callees left). Esc goes back.</Text>
  }
  const layout = calleeColumns(
    width,
    callees.reduce((n, c) => Math.max(n, String(c.session).length), 0),
    callees.reduce((n, c) => Math.max(n, c.node?.length ?? 0), 0),
  )
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
      <Text wrap="truncate-end">
        {`${registration.callees} ${registration.callees === 1 ? 'callee' : 'callees'}, ${registration.active} taking calls  ·  calls/s ${fmtRate(registration.rate)}  ·  in flight ${fmtCount(registration.inflight)}  ·  errors ${fmtCount(registration.errors)}  ·  spread ${fmtSpread(registration.spread)}`}
      </Text>
      <Text bold wrap="truncate-end">
        {'  ' + header(calleeHeaderColumns(layout), gap) + (stale ? '  STALE' : '')}
      </Text>
      {callees.length === 0 ? <Text dimColor> (no callees)</Text> : null}
      {callees.slice(start, start + h).map((c, i) => {
        const isSelected = start + i === selected
        const cell = (k: number, text: string): string => fit(text, cols[k]!.width, cols[k]!.align)
        const pct = fit(fmtShare(c.share), 4, 'right')
        const share =
          layout.barWidth === 0
            ? cell(K.share, fmtShare(c.share))
            : `${c.share === null ? ' '.repeat(layout.barWidth) : bar(c.share, layout.barWidth)} ${pct}`
        const spark =
          layout.sparkWidth === 0
            ? []
            : [gap, ...(c.rate === null ? [fit('-', layout.sparkWidth)] : runs(sparkline(c.history, layout.sparkWidth, max)))]
        const cells = [
          isSelected ? '> ' : '  ',
          cell(K.position, String(c.position)),
          gap + cell(K.session, String(c.session)),
          ...(layout.node === null ? [] : [gap + fit(c.node ?? '-', layout.node.width, layout.node.align)]),
          gap + cell(K.authid, c.authid ?? '-'),
          { text: gap + cell(K.state, c.state), color: STATE_COLOR[c.state] },
          gap + cell(K.weight, c.weight === null ? '-' : String(c.weight)),
          gap + share,
          gap + cell(K.rate, fmtRate(c.rate)),
          gap + cell(K.inflight, fmtCount(c.inflight)),
          { text: gap + cell(K.errors, fmtCount(c.errors)), color: (c.errors ?? 0) > 0 ? 'red' : undefined },
          gap + cell(K.p99, fmtMs(c.p99_ms)),
          ...spark,
        ]
        return <Row key={c.session} inverse={isSelected} dim={stale} cells={cells} />
      })}
    </Box>
  )
}
