import { isClustered } from '../ops/cluster-status.js'
import type { ClusterNodeStatus, ClusterStatus } from '../protocol/cluster.js'
import { fixed } from './format.js'
import { renderTable, type Column } from './table.js'

const NODE_COLUMNS: Column<ClusterNodeStatus>[] = [
  { header: 'NODE', get: (n) => (n.self ? `${n.node} *` : n.node) },
  { header: 'STATE', get: (n) => n.state },
  { header: 'SESSIONS', get: (n) => n.sessions, align: 'right' },
  { header: 'CALLS/S', get: (n) => fixed(n.calls_per_s), align: 'right' },
  { header: 'NATS', get: (n) => n.nats },
  { header: 'LAST SEEN', get: (n) => (n.self ? 'now' : `${seconds(n.last_seen_ms)} ago`), align: 'right' },
  { header: 'STARTED', get: (n) => n.started_at },
  {
    header: 'CONFIG',
    get: (n) => (n.config === null || n.config === undefined ? '?' : n.config_differs ? `${n.config} (differs)` : n.config),
  },
  { header: 'URL', get: (n) => n.url },
]

/**
 * `cluster status`: a header line (cluster, the answering node, its NATS link), then one row per
 * node; the answering node is marked `*`. A single router: one line saying so.
 */
export function renderClusterStatus(r: ClusterStatus, url: string): string {
  if (!isClustered(r)) return `the router at ${url} is not a cluster (a single router)`
  const via = r.nats?.server === null || r.nats?.server === undefined ? '' : ` via ${r.nats.server}`
  const nats = r.nats === null ? 'NATS unknown' : `NATS ${r.nats.state}${via} (${r.nats.servers.join(', ')})`
  const alive = r.nodes.filter((n) => n.state === 'alive').length
  const head = `cluster ${r.cluster}: ${alive} of ${r.nodes.length} nodes alive; answered by node ${r.node}, ${nats}`
  return [head, renderTable(NODE_COLUMNS, r.nodes), ...configWarning(r)].join('\n')
}

/**
 * Nodes that run another configuration than the answering node (realms, roles, auth: not
 * replicated, every node should have the same config file): one warning line, not an error, since
 * a rolling change of the file passes through that state.
 */
function configWarning(r: ClusterStatus): string[] {
  const differ = r.nodes.filter((n) => n.config_differs === true)
  if (differ.length === 0) return []
  const own = r.nodes.find((n) => n.self)?.config ?? '?'
  const names = differ.map((n) => n.node).join(', ')
  return [
    `warning: node${differ.length === 1 ? '' : 's'} ${names} run${differ.length === 1 ? 's' : ''} another configuration (realms, roles, auth) than node ${r.node} (${own}): start every node with the same config file`,
  ]
}

/** Milliseconds as seconds with one decimal: '0.4 s', '12.0 s'. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}
