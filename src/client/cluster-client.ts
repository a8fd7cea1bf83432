import { ClusterUri, type ClusterStatus } from '../protocol/cluster.js'
import { ErrorUri } from '../protocol/error-uris.js'
import type { WampClient } from './connection.js'
import { CallError, UnsupportedError } from './errors.js'

/**
 * `wampctl.cluster.status`, typed. A wampctl router answers it clustered or not (a single router
 * with `cluster: null`); a router without it (Crossbar, Nexus, an older wampctl) answers
 * no_such_procedure: UnsupportedError, one plain line.
 */
export async function clusterStatus(client: WampClient): Promise<ClusterStatus> {
  try {
    const r = await client.call(ClusterUri.status)
    return r.args[0] as ClusterStatus
  } catch (err) {
    if (err instanceof CallError && err.uri === ErrorUri.noSuchProcedure) {
      throw new UnsupportedError(
        `the router at ${client.url} cannot tell its cluster status: it does not serve ${ClusterUri.status} (a wampctl router does)`,
      )
    }
    throw err
  }
}
