import type { Logger } from '../config.js'
import type { Realm } from '../realm.js'
import { ClusterLink } from './link.js'
import { clusterSettings, type ClusterOptions } from './options.js'
import { RealmCluster } from './realm-cluster.js'
import { NodeRequests } from './requests.js'

/**
 * This router as a node of a cluster: its NATS link and one RealmCluster per realm. Router.listen()
 * imports this module only when RouterOptions.cluster is set, so a single router loads nothing of NATS.
 */
export class ClusterNode {
  readonly realms = new Map<string, RealmCluster>()

  /** Requests to this node from the others (kill, drain, snapshot parts…): each part registers what it serves. */
  readonly requests: NodeRequests

  private constructor(readonly link: ClusterLink) {
    this.requests = new NodeRequests(link)
  }

  get node(): string {
    return this.link.node
  }

  /** Connect, then bring every realm's replica up to date before the router takes sessions. */
  static async start(
    options: ClusterOptions,
    realms: Iterable<Realm>,
    log: Logger,
    onError: (err: unknown, context: string) => void,
  ): Promise<ClusterNode> {
    const settings = clusterSettings(options)
    const link = await ClusterLink.connect(settings, log)
    const node = new ClusterNode(link)
    try {
      for (const realm of realms) {
        const kv = await link.bucket(realm.name)
        const rc = new RealmCluster(realm, link, kv, node.requests, onError)
        realm.cluster = rc
        node.realms.set(realm.name, rc)
        await rc.start()
      }
    } catch (err) {
      await node.close()
      throw err
    }
    log.info('cluster: joined', { node: settings.node, cluster: settings.name, servers: settings.servers })
    return node
  }

  /** Leave the cluster: each realm's parts clean up (sessions already gone), then the NATS connection closes. */
  async close(): Promise<void> {
    for (const rc of this.realms.values()) await rc.close()
    this.requests.close()
    await this.link.close()
  }
}

export { clusterSettings }
