import type { RegistrationDetail, RegistrationSummary } from '../ops/registration-summary.js'
import { fixed, millis, percent, ratio } from './format.js'
import { bar, renderTable, withNodeColumn, type Column } from './table.js'

const LIST_COLUMNS: Column<RegistrationSummary>[] = [
  { header: 'ID', get: (r) => r.id, align: 'right' },
  { header: 'URI', get: (r) => r.uri },
  { header: 'MATCH', get: (r) => r.match },
  { header: 'INVOKE', get: (r) => r.invoke },
  { header: 'CALLEES', get: (r) => r.callees, align: 'right' },
  { header: 'CALLS/S', get: (r) => fixed(r.calls_per_s), align: 'right' },
  { header: 'IN FLIGHT', get: (r) => r.inflight, align: 'right' },
  { header: 'QUEUED', get: (r) => r.queued, align: 'right' },
  { header: 'ERRORS', get: (r) => r.errors, align: 'right' },
  { header: 'SPREAD', get: (r) => ratio(r.spread), align: 'right' },
  { header: 'CALLS TOTAL', get: (r) => r.calls_total, align: 'right' },
]

/** `registrations list`: one aligned row per registration ('-' = unknown). */
export function renderRegistrationList(rows: RegistrationSummary[]): string {
  if (rows.length === 0) return 'no registrations'
  return renderTable(LIST_COLUMNS, rows)
}

const BAR_WIDTH = 20

type CalleeRow = RegistrationDetail['callees'][number]

const NODE_COLUMN: Column<CalleeRow> = { header: 'NODE', get: (c) => c.node }

const CALLEE_COLUMNS: Column<CalleeRow>[] = [
  { header: 'SESSION', get: (c) => c.session, align: 'right' },
  { header: 'AUTHID', get: (c) => c.authid },
  { header: 'STATE', get: (c) => c.state },
  { header: 'WEIGHT', get: (c) => c.weight, align: 'right' },
  { header: 'CALLS/S', get: (c) => fixed(c.calls_per_s), align: 'right' },
  { header: 'SHARE', get: (c) => (c.share === null ? null : `${percent(c.share)!.padStart(6)} ${bar(c.share, BAR_WIDTH)}`) },
  { header: 'IN FLIGHT', get: (c) => c.inflight, align: 'right' },
  { header: 'ERRORS', get: (c) => c.errors, align: 'right' },
  { header: 'P50 MS', get: (c) => millis(c.p50_ms), align: 'right' },
  { header: 'P99 MS', get: (c) => millis(c.p99_ms), align: 'right' },
  { header: 'CALLS TOTAL', get: (c) => c.calls_total, align: 'right' },
]

/** `registrations show`: a header line, then the callees in registration order (with NODE on a cluster). */
export function renderRegistrationDetail(d: RegistrationDetail): string {
  const queued = d.queued === null ? '' : `, ${d.queued} queued`
  const head = `${d.uri}  (registration ${d.id}, match ${d.match}, invoke ${d.invoke}${queued}${d.created ? `, created ${d.created}` : ''})`
  const window =
    d.window_ms === null
      ? ''
      : `\ncalls/s ${fixed(d.calls_per_s) ?? '-'}, spread ${ratio(d.spread) ?? '-'} over the last ${seconds(d.window_ms)}`
  if (d.callees.length === 0) return `${head}\nno callees`
  return `${head}${window}\n${renderTable(withNodeColumn(CALLEE_COLUMNS, d.callees, NODE_COLUMN), d.callees)}`
}

/** A window length for a header line: "10 s", "2.5 s". */
function seconds(ms: number): string {
  const s = Math.round(ms / 100) / 10
  return `${s} s`
}
