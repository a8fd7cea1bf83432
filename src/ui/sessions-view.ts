import type { SessionDetail, SessionRow } from '../ops/session-inventory.js'
import { millis, text } from './format.js'
import { renderTable, withNodeColumn, type Column } from './table.js'

const LIST_COLUMNS: Column<SessionRow>[] = [
  { header: 'SESSION', get: (s) => s.session, align: 'right' },
  { header: 'AUTHID', get: (s) => s.authid },
  { header: 'AUTHROLE', get: (s) => s.authrole },
  { header: 'AUTHMETHOD', get: (s) => s.authmethod },
  { header: 'TRANSPORT', get: (s) => s.transport?.protocol },
  { header: 'PEER', get: (s) => s.transport?.peer },
  { header: 'REGS', get: (s) => s.registrations, align: 'right' },
  { header: 'SUBS', get: (s) => s.subscriptions, align: 'right' },
]

const NODE_COLUMN: Column<SessionRow> = { header: 'NODE', get: (s) => s.node }

/** `sessions list`: one aligned row per session (with NODE on a cluster). */
export function renderSessionList(rows: SessionRow[]): string {
  if (rows.length === 0) return 'no other sessions'
  return renderTable(withNodeColumn(LIST_COLUMNS, rows, NODE_COLUMN), rows)
}

const REG_COLUMNS: Column<SessionDetail['registrations'][number]>[] = [
  { header: 'REGISTRATION', get: (r) => r.id, align: 'right' },
  { header: 'URI', get: (r) => r.uri },
  { header: 'MATCH', get: (r) => r.match },
  { header: 'INVOKE', get: (r) => r.invoke },
  { header: 'STATE', get: (r) => r.state },
  { header: 'WEIGHT', get: (r) => r.weight, align: 'right' },
  { header: 'CALLS', get: (r) => r.calls, align: 'right' },
  { header: 'INFLIGHT', get: (r) => r.inflight, align: 'right' },
  { header: 'ERRORS', get: (r) => r.errors, align: 'right' },
  { header: 'P50 MS', get: (r) => millis(r.p50_ms), align: 'right' },
  { header: 'P99 MS', get: (r) => millis(r.p99_ms), align: 'right' },
]

const SUB_COLUMNS: Column<SessionDetail['subscriptions'][number]>[] = [
  { header: 'SUBSCRIPTION', get: (s) => s.id, align: 'right' },
  { header: 'URI', get: (s) => s.uri },
  { header: 'MATCH', get: (s) => s.match },
]

/** `sessions show`: details as "key: value" lines, then its registrations and subscriptions. */
export function renderSessionDetail(d: SessionDetail): string {
  const t = d.transport ?? { type: null, protocol: null, peer: null }
  const fields: Array<[string, unknown]> = [
    ['session', d.session],
    // a cluster node says where the session is connected; a single router's details are unchanged
    ...(d.node !== undefined ? [['node', d.node] as [string, unknown]] : []),
    ['authid', d.authid],
    ['authrole', d.authrole],
    ['authmethod', d.authmethod],
    ['authprovider', d.authprovider],
    ['transport', t.protocol],
    ['peer', t.peer],
  ]
  const width = Math.max(...fields.map(([k]) => k.length)) + 1
  const lines = fields.map(([k, v]) => `${`${k}:`.padEnd(width)} ${text(v) ?? '-'}`)
  lines.push(
    '',
    d.registrations.length === 0
      ? 'registrations: none'
      : `registrations (${d.registrations.length}):\n${renderTable(REG_COLUMNS, d.registrations)}`,
  )
  lines.push(
    '',
    d.subscriptions.length === 0
      ? 'subscriptions: none'
      : `subscriptions (${d.subscriptions.length}):\n${renderTable(SUB_COLUMNS, d.subscriptions)}`,
  )
  return lines.join('\n')
}
