import type { ClusterNodeStatus, ClusterStatus } from '../../protocol/cluster.js'
import type { ClusterLink } from './link.js'
import type { Membership } from './membership.js'

/** A single router's answer to `wampctl.cluster.status`. */
export const SINGLE_ROUTER_STATUS: ClusterStatus = { cluster: null, node: null, nats: null, nodes: [] }

/** `wampctl.cluster.status` on a cluster node: every node of its membership table, with its load in `realm`. */
export function clusterStatus(link: ClusterLink, membership: Membership, realm: string): ClusterStatus {
  const views = membership.nodes()
  const own = views.find((n) => n.self)?.config ?? null
  const nodes: ClusterNodeStatus[] = views.map((n) => ({
    node: n.node,
    incarnation: n.incarnation,
    state: n.state,
    self: n.self,
    started_at: n.startedAt,
    last_seen_ms: n.lastSeenMs,
    sessions: n.realms[realm]?.sessions ?? 0,
    calls_per_s: n.realms[realm]?.calls_per_s ?? 0,
    nats: n.nats,
    url: n.url,
    config: n.config,
    config_differs: n.config !== null && own !== null && n.config !== own,
  }))
  return {
    cluster: link.settings.name,
    node: link.node,
    nats: { servers: link.settings.servers, state: link.state, server: link.server },
    nodes,
  }
}
