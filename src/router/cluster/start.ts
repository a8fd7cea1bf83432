import type { Logger } from '../config.js'
import type { Realm } from '../realm.js'
import { trackKnownNodes } from './known-nodes.js'
import { ClusterLink } from './link.js'
import { Membership, type RealmLoad } from './membership.js'
import { clusterSettings, type ClusterOptions } from './options.js'
import { RealmCluster } from './realm-cluster.js'
import { NodeRequests } from './requests.js'

/**
 * This router as a node of a cluster: its NATS link, its view of the other nodes, and one
 * RealmCluster per realm. Router.listen() imports this module only when RouterOptions.cluster is
 * set, so a single router loads nothing of NATS.
 */
export class ClusterNode {
  readonly realms = new Map<string, RealmCluster>()

  /** Requests to this node from the others (kill, drain, snapshot parts…): each part registers what it serves. */
  readonly requests: NodeRequests

  /** The cluster's nodes: heartbeats, node down/up, rejoin after a NATS outage. */
  readonly membership: Membership

  private constructor(
    readonly link: ClusterLink,
    /** Fingerprint of this node's realms, roles and auth (config-fingerprint.ts), in its heartbeats. */
    readonly config: string,
    log: Logger,
    private readonly onError: (err: unknown, context: string) => void,
  ) {
    this.requests = new NodeRequests(link)
    this.membership = new Membership(link, { load: () => this.load(), config, log, onError })
  }

  get node(): string {
    return this.link.node
  }

  /** Connect, then bring every realm's replica up to date before the router takes sessions. */
  static async start(
    options: ClusterOptions,
    realms: Iterable<Realm>,
    config: string,
    log: Logger,
    onError: (err: unknown, context: string) => void,
  ): Promise<ClusterNode> {
    const settings = clusterSettings(options)
    const link = await ClusterLink.connect(settings, log)
    const node = new ClusterNode(link, config, log, onError)
    try {
      for (const realm of realms) {
        const kv = await link.bucket(realm.name)
        const rc = new RealmCluster(realm, link, kv, node.requests, node.membership, onError)
        realm.cluster = rc
        node.realms.set(realm.name, rc)
        trackKnownNodes(rc, node.membership)
        await rc.start()
      }
      node.membership.start()
      // Serve once the nodes known alive have been heard (one heartbeat, bounded): see heardFromAll.
      await node.membership.heardFromAll(2 * settings.heartbeatMs)
    } catch (err) {
      await node.close()
      throw err
    }
    log.info('cluster: joined', {
      node: settings.node,
      cluster: settings.name,
      servers: settings.servers,
      replicas: settings.replicas,
      heartbeat_ms: settings.heartbeatMs,
      node_timeout_ms: settings.nodeTimeoutMs,
      config,
    })
    return node
  }

  /** The router listens now: its URL goes into the heartbeats. */
  listening(url: string): void {
    this.membership.setUrl(url)
  }

  /**
   * Leave the cluster: each realm's parts clean up (sessions already gone; bounded, so that a slow
   * NATS cannot hold it), then this node says it leaves (the others act at once instead of after
   * the node timeout), then the NATS connection closes.
   */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, REALMS_CLOSE_MS)))
    const realms = (async () => {
      for (const rc of this.realms.values()) await rc.close()
    })().catch((err: unknown) => this.onError(err, 'leaving the cluster'))
    try {
      await Promise.race([realms, late])
    } finally {
      clearTimeout(timer)
    }
    await this.membership.leave()
    this.requests.close()
    await this.link.close()
    await realms
  }

  private load(): Record<string, RealmLoad> {
    const load: Record<string, RealmLoad> = {}
    for (const [name, rc] of this.realms) load[name] = rc.load()
    return load
  }
}

/** Most a leaving node waits for its parts' last writes before it announces its departure anyway. */
const REALMS_CLOSE_MS = 2000

export { clusterSettings }
