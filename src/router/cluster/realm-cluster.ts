import type { KV } from '@nats-io/kv'
import type { ClusterStatus } from '../../protocol/cluster.js'
import type { Realm } from '../realm.js'
import type { SessionTransport } from '../session.js'
import { CallForwarding } from './forwarding.js'
import type { ClusterLink } from './link.js'
import type { Membership, RealmLoad } from './membership.js'
import { realmLoad } from './realm-load.js'
import { RemoteSessions, UnreachableTransport } from './remote-session.js'
import { sweepDeleteMarkers } from './delete-markers.js'
import { RealmReplica } from './replica.js'
import { realmBucket } from './keys.js'
import { bucketLeaderElected } from './subjects.js'
import { ClusterPubSub } from './pubsub.js'
import { ClusterRegistrations } from './registrations.js'
import { Registry } from './registry.js'
import { ClusterOps } from './ops.js'
import { ClusterRollouts } from './rollouts.js'
import type { NodeRequests } from './requests.js'
import { ClusterSessions } from './sessions.js'
import { clusterStatus } from './status.js'

/**
 * What a clustered Realm holds (`realm.cluster`): its KV bucket, its replica of it, and the
 * cluster side of each part of the realm (registrations, sessions, pub/sub, calls across nodes)
 * as they attach themselves here. `realm.cluster === undefined` is the single-process router.
 */
export class RealmCluster {
  readonly replica: RealmReplica
  /** Sessions of other nodes, as this node's dealer and broker see them (remote callees). */
  readonly remoteSessions: RemoteSessions
  /**
   * The transport of the proxy of session `sessionId` of `node`: how an INVOCATION reaches it.
   * Calls across nodes (forwarding.ts) set this; the default answers every INVOCATION with
   * wamp.error.unavailable (the caller's dealer reroutes), as while NATS is away.
   */
  remoteTransport: (node: string, sessionId: number) => SessionTransport = (node, sessionId) =>
    new UnreachableTransport(this.realm, node, () => this.remoteSessions.get(sessionId))
  /** The realm's sessions on every node: `ses.*` writes, the remote ones, kill on the owner node (h12sess). */
  readonly sessions: ClusterSessions
  /** Calls crossing nodes (forwarding.ts): proxies' INVOCATIONs out, other nodes' calls in, answers back. */
  readonly forwarding: CallForwarding
  /** Subscriptions cluster-wide (`sub.*`) and publications crossing nodes. */
  readonly pubsub: ClusterPubSub
  /** The realm's registrations in the KV bucket: compare-and-set writes (registry.ts). */
  readonly registry: Registry
  /** REGISTER/UNREGISTER of this node's sessions through the registry, and its replica in the dealer. */
  readonly registrations: ClusterRegistrations
  /** The operations extensions cluster-wide: snapshot merge, cordon/weight/drain of any node's callee, stats ticks (ops.ts). */
  readonly ops: ClusterOps
  /** Rollouts cluster-wide: their records in the KV bucket, steering sent to their node, taken over when it goes (rollouts.ts). */
  readonly rollouts: ClusterRollouts
  /** Run when the node leaves the cluster (before the NATS connection closes), in reverse order of adding. */
  private readonly closers: Array<() => Promise<void> | void> = []
  /** Run once the replica is up to date, before the router takes sessions, in order of adding. */
  private readonly starters: Array<() => Promise<void>> = []

  constructor(
    readonly realm: Realm,
    readonly link: ClusterLink,
    readonly kv: KV,
    /** Requests to other nodes, and the kinds this node serves (per realm: `requests.handle(realm.name, kind, …)`). */
    readonly requests: NodeRequests,
    /** The cluster's nodes as this node sees them: `onNodeDown`, `onNodeUp`, `alive`, `nodes`. */
    readonly membership: Membership,
    /** Report an unexpected failure (a bug, or NATS refusing a write while connected). */
    readonly onError: (err: unknown, context: string) => void,
  ) {
    this.replica = new RealmReplica(kv, onError)
    // A NATS server gone (one of a NATS cluster) may have held the watch's consumer: watch again.
    // First of the rejoin hooks: the others wait for their writes to come through the watch.
    this.onRejoin(() => this.replica.rewatch())
    this.onClose(membership.onNodeRelinked(() => void this.replica.rewatch()))
    const elected = link.nc.subscribe(bucketLeaderElected(realmBucket(link.settings.name, realm.name)), {
      callback: (err) => void (err === null && this.replica.rewatch()),
    })
    this.onClose(() => {
      if (!link.nc.isClosed()) elected.unsubscribe()
    })
    this.remoteSessions = new RemoteSessions(realm, (node, sessionId) => this.remoteTransport(node, sessionId))
    this.sessions = new ClusterSessions(this)
    // A previous life's sessions (this node restarted within the node timeout) are gone.
    this.onStart(() => this.sessions.reassert())
    this.forwarding = new CallForwarding(realm, link, this.remoteSessions, membership, onError)
    this.remoteTransport = (node, sessionId) => this.forwarding.transport(node, sessionId)
    this.onClose(membership.onDeclaredDown((by) => this.forwarding.declaredDownBy(by)))
    this.onClose(membership.onNodeRelinked((node) => this.forwarding.nodeRelinked(node)))
    this.onClose(() => this.forwarding.close())
    this.pubsub = new ClusterPubSub(this)
    this.registry = new Registry(kv, link, (id) => this.registrations.replica.keyOf(id))
    this.registrations = new ClusterRegistrations(
      realm,
      link,
      this.registry,
      this.replica,
      requests,
      this.remoteSessions,
      link.log,
      onError,
      () => membership.rejoin(),
    )
    // Callees of this node's previous life (it restarted within the node timeout) are gone.
    this.onStart(() => this.registrations.removeEarlierLives())
    this.onRejoin(() => this.registrations.rejoined())
    this.onClose(membership.onNodeDown((node, incarnation) => this.nodeDown(node, incarnation)))
    // Heard again after it was taken for dead (same life): its callees still in the records get their proxies back.
    this.onClose(membership.onNodeUp((node, incarnation) => this.registrations.replica.reviveNode(node, incarnation)))
    this.onClose(() => this.registrations.close())
    this.onClose(sweepDeleteMarkers(kv, link, link.log, realm.name))
    this.ops = new ClusterOps(this, onError)
    this.onClose(membership.onNodeDown((node) => this.ops.ticks.forgetNode(node)))
    // After registrations' node-down listener: a dead node's callees are out of the dealer when a rollout is taken over.
    this.rollouts = new ClusterRollouts(this)
  }

  get node(): string {
    return this.link.node
  }

  /**
   * `node` (its life `incarnation`) is down: its calls here end at once (callers get canceled,
   * callees an INTERRUPT), then its callees and subscribers leave the records, then its sessions'
   * keys go: every node derives on_unregister/on_unsubscribe before on_leave, as for a session
   * that leaves. Every survivor does this (compare-and-set: one write wins for each entry).
   */
  private async nodeDown(node: string, incarnation: string): Promise<void> {
    // The session keys as seen now: one that node puts back meanwhile (it was only held up) is left alone.
    const sessions = this.sessions.entriesOf(node, incarnation)
    // Heard again with the same life: it re-asserts what it has; nothing more of it is removed.
    const stillDown = (): boolean => !(this.membership.alive(node) && this.membership.incarnationOf(node) === incarnation)
    this.forwarding.nodeDown(node, incarnation)
    await Promise.all([this.registrations.nodeDown(node, incarnation, stillDown), this.pubsub.nodeDown(node)])
    await this.sessions.remove(sessions)
  }

  /** `starter` runs at start, once the replica has caught up: e.g. remove this node's previous life's entries. */
  onStart(starter: () => Promise<void>): void {
    this.starters.push(starter)
  }

  /** Bring the replica up to date, then run the starters. */
  async start(): Promise<void> {
    await this.replica.start(this.link.node, this.link.incarnation)
    for (const s of this.starters) await s()
  }

  /**
   * Run after NATS came back (link 'reconnecting' → 'connected'), or when another node declared
   * this one down and removed its entries: re-assert this node's own entries (idempotent writes).
   * Hooks of all realms run one after the other, never two runs at once.
   */
  onRejoin(hook: () => void | Promise<void>): () => void {
    return this.membership.onRejoin(hook)
  }

  /** This node's load in the realm, as its heartbeat reports it. */
  load(): RealmLoad {
    return realmLoad(this.realm, (s) => this.remoteSessions.nodeOf(s) === undefined)
  }

  /** `wampctl.cluster.status` asked in this realm. */
  status(): ClusterStatus {
    return clusterStatus(this.link, this.membership, this.realm.name)
  }

  onClose(closer: () => Promise<void> | void): void {
    this.closers.push(closer)
  }

  async close(): Promise<void> {
    for (const c of this.closers.splice(0).reverse()) await c()
    this.replica.stop()
  }
}
