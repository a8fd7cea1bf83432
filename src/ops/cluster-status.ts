import { clusterStatus } from '../client/cluster-client.js'
import type { WampClient } from '../client/connection.js'
import type { ClusterStatus } from '../protocol/cluster.js'

/**
 * `wampctl cluster status`: the router's answer as it is (the --json shape), nodes sorted by name.
 * A single router answers `cluster: null` and no nodes.
 */
export async function readClusterStatus(client: WampClient): Promise<ClusterStatus> {
  const s = await clusterStatus(client)
  const nodes = [...(s.nodes ?? [])].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
  return { ...s, nodes }
}

/** The router is a node of a cluster (not a single router). */
export function isClustered(s: ClusterStatus): boolean {
  return s.cluster !== null && s.cluster !== undefined
}
