import { ClusterUri, type ClusterStatus } from '../../protocol/cluster.js'
import { result, type MetaProcedure } from '../meta-procedure.js'
import type { Realm } from '../realm.js'

/** What a single router (no cluster) answers. */
const SINGLE_ROUTER: ClusterStatus = { cluster: null, node: null, nats: null, nodes: [] }

/** `wampctl.cluster.status`: the nodes of the cluster as the answering node sees them (docs/cluster.md). */
export function clusterMetaProcedures(realm: Realm): Record<string, MetaProcedure> {
  return {
    [ClusterUri.status]: {
      mutating: false,
      handler: () => result(realm.cluster?.status() ?? SINGLE_ROUTER),
    },
  }
}
