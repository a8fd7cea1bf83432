/**
 * The router cluster as the meta API shows it (docs/cluster.md): shared by the router, which
 * serves `wampctl.cluster.status`, and the CLI (`wampctl cluster status`, NODE columns).
 */

export const ClusterUri = {
  /** `[]` → ClusterStatus. A single router answers `{ cluster: null, node: null, nats: null, nodes: [] }`. */
  status: 'wampctl.cluster.status',
} as const

/** `wampctl.router.info` lists this feature when the router is a cluster node. */
export const CLUSTER_FEATURE = 'cluster'

export type NatsLinkState = 'connected' | 'reconnecting' | 'closed'

export interface ClusterNodeStatus {
  node: string
  /** Changes at every start of the node's process. */
  incarnation: string
  /** alive: heard within the node timeout; dead: silent past it (its sessions were removed). */
  state: 'alive' | 'dead'
  /** This is the node that answered. */
  self: boolean
  /** ISO 8601. */
  started_at: string
  /** Since its last heartbeat, ms (0 for the answering node). */
  last_seen_ms: number
  /** Sessions connected to it, in the realm asked about. */
  sessions: number
  /** Calls its callees answered per second over the recent window, in the realm asked about. */
  calls_per_s: number
  /** Its NATS connection, as it last reported it. */
  nats: NatsLinkState
  /** Its WAMP listener URL, as it reported it (null when unknown). */
  url: string | null
  /**
   * Fingerprint of its realms, roles and auth (12 hex digits): every node should run the same
   * config file. Null when unknown (not heard yet, or a node that does not say).
   */
  config: string | null
  /** Its fingerprint is not the answering node's: it runs another configuration (a rolling change, or a mistake). */
  config_differs: boolean
}

export interface ClusterStatus {
  /** Cluster name; null for a single router. */
  cluster: string | null
  /** The node that answered; null for a single router. */
  node: string | null
  /** The answering node's NATS link (`server`: the one it is connected to now, "host:port"); null for a single router. */
  nats: { servers: string[]; state: NatsLinkState; server: string | null } | null
  /** Every node known, the answering one included, by name. */
  nodes: ClusterNodeStatus[]
}
