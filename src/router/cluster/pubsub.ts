import { MessageCode } from '../../protocol/message-codes.js'
import type { Publisher } from '../broker.js'
import { ClusterUnavailableError, RouterError } from '../errors.js'
import type { Args, Dict, Kwargs } from '../inbound.js'
import type { Session } from '../session.js'
import type { Subscription } from '../subscription.js'
import type { MatchPolicy } from '../uri.js'
import { KeyPrefix } from './keys.js'
import { Publications } from './publications.js'
import type { RealmCluster } from './realm-cluster.js'
import type { SubscriberRecord, SubscriptionRecord } from './records.js'
import { keyOf, markedQuiet, reconciled, SubscriptionWriter, unchanged, withSubscriber, without } from './subscription-writes.js'
import { SubscriptionsReplica } from './subscriptions-replica.js'
import { natsTrouble } from './write-retry.js'

/** A failed write of this node's subscribers is made right this long after, while NATS is there. */
const RETRY_MS = 1000

/**
 * Pub/sub of a clustered realm (`realm.cluster.pubsub`): one subscription per (topic, match) for
 * the whole cluster, kept as a `sub.*` record written by compare-and-set (its id is the first
 * subscriber's node's choice), and publications crossing to the nodes that have subscribers.
 *
 * The broker keeps this node's sessions in its subscriptions, as in a single router, and calls in
 * here for what the cluster adds: SUBSCRIBE and UNSUBSCRIBE write the record first, then answer; a
 * session's departure removes its subscribers; a publication made here is forwarded.
 */
export class ClusterPubSub {
  readonly replica: SubscriptionsReplica
  readonly publications: Publications
  private readonly writer: SubscriptionWriter
  /** A write of this node's subscribers failed: a reconcile is due (now if NATS is there, else at rejoin). */
  private retry: NodeJS.Timeout | undefined

  constructor(private readonly rc: RealmCluster) {
    this.replica = new SubscriptionsReplica(rc.realm, rc.node, (uri, match, record) => this.check(uri, match, record))
    rc.replica.handle(KeyPrefix.subscription, this.replica)
    this.writer = new SubscriptionWriter(rc.kv, this.replica)
    this.publications = new Publications(rc.realm, rc.link, this.replica, rc.onError)
    // At start, before serving: the previous life's subscribers (a restart within the node timeout) leave the records.
    rc.onStart(() => this.reconcile())
    // NATS is back, or another node took this one for dead: this node's subscribers go back in.
    rc.onRejoin(() => this.reconcile())
    rc.onClose(() => this.close())
  }

  /** SUBSCRIBE (already checked by the broker): the subscriber goes into the record, then SUBSCRIBED with the record's id. */
  subscribe(session: Session, request: number, topic: string, match: MatchPolicy): void {
    const local = this.rc.realm.broker.index.get(topic, match)
    if (local?.subscribers.has(session)) return session.send([MessageCode.SUBSCRIBED, request, local.id])
    if (!this.rc.link.connected) throw new ClusterUnavailableError('cannot subscribe: the cluster (NATS) is unreachable; try again')
    const me = { node: this.rc.node, session: session.id }
    const key = keyOf(topic, match)
    void this.writer.serial(key, async () => {
      let id: number
      try {
        const localId = (): number => this.rc.realm.broker.index.get(topic, match)?.id ?? this.writer.freshId()
        id = (await this.writer.change(key, withSubscriber(me, topic, match, localId)))!.id
      } catch (err) {
        return this.refuse(session, MessageCode.SUBSCRIBE, request, err)
      }
      // Gone while the record was written: it leaves the record again.
      if (session.closed) return void (await this.remove(key, session.id))
      const sub = this.rc.realm.broker.attach(session, id, topic, match)
      session.send([MessageCode.SUBSCRIBED, request, sub.id])
    })
  }

  /** UNSUBSCRIBE: the broker has let the session go here; the record follows, then UNSUBSCRIBED. */
  unsubscribe(session: Session, request: number, sub: Subscription): void {
    const key = keyOf(sub.uri, sub.match)
    void this.writer.serial(key, async () => {
      await this.remove(key, session.id)
      session.send([MessageCode.UNSUBSCRIBED, request])
    })
  }

  /** A session of this node left: its subscriber leaves `sub`'s record; `quiet` (kill_all): without meta events on any node. */
  left(sessionId: number, sub: Subscription, quiet: boolean): void {
    const key = keyOf(sub.uri, sub.match)
    void this.writer.serial(key, () => this.remove(key, sessionId, quiet))
  }

  /** A publication made here (a client's or a testament): to the other nodes with subscribers. */
  forward(topic: string, args: Args, kwargs: Kwargs, options: Dict, publisher: Publisher, publication: number): void {
    this.publications.forward(topic, args, kwargs, options, publisher, publication)
  }

  /** `node` is down (RealmCluster's node-down): its subscribers leave the records, unless a new life of it already beats. */
  nodeDown(node: string): Promise<void> {
    // A new life of it already beats: that life's own start removed its previous life's subscribers.
    if (this.rc.membership.alive(node) || !this.rc.link.connected) return Promise.resolve()
    return this.removeNode(node)
  }

  /** `node` is down: its subscribers leave every record (every survivor does it; compare-and-set makes it once). */
  async removeNode(node: string): Promise<void> {
    await Promise.all(
      this.replica.subscriptionsOf(node).map((s) => {
        const key = keyOf(s.uri, s.match)
        return this.writer
          .serial(key, () =>
            // Heard again meanwhile (held up, not dead; or a new life): it puts back its own.
            this.writer.change(key, (cur) => (this.rc.membership.alive(node) ? unchanged : without((x) => x.node === node)(cur))),
          )
          .catch((err: unknown) => {
            this.rc.onError(err, `cluster: removing node ${node}'s subscribers of '${s.uri}'`)
          })
      }),
    )
  }

  /**
   * Make this node's subscribers in the records exactly its sessions' subscriptions now: at start
   * (none yet: the previous life's go) and when NATS is back (writes that failed meanwhile, or a
   * survivor that took this node for dead and removed them).
   */
  async reconcile(): Promise<void> {
    clearTimeout(this.retry)
    this.retry = undefined
    const node = this.rc.node
    const broker = this.rc.realm.broker
    const targets = new Map<string, { uri: string; match: MatchPolicy }>()
    for (const s of this.replica.subscriptionsOf(node)) targets.set(keyOf(s.uri, s.match), { uri: s.uri, match: s.match })
    for (const s of broker.index.values()) targets.set(keyOf(s.uri, s.match), { uri: s.uri, match: s.match })
    await Promise.all([...targets].map(([key, { uri, match }]) => this.reconcileKey(key, uri, match)))
  }

  /** This node's subscribers of (`uri`, `match`) in its record made exactly its live sessions' subscriptions there. */
  private reconcileKey(key: string, uri: string, match: MatchPolicy): Promise<void> {
    const node = this.rc.node
    const broker = this.rc.realm.broker
    return this.writer
      .serial(key, async () => {
        const local = broker.index.get(uri, match)
        const live = local === undefined ? [] : [...local.subscribers].filter((s) => !s.closed).map((s) => s.id)
        await this.writer.change(
          key,
          reconciled(node, live, uri, match, () => local?.id ?? this.writer.freshId()),
        )
      })
      .catch((err: unknown) => {
        // NATS trouble (a JetStream timeout right after a NATS restart): tried again in a moment while NATS is up, else at rejoin.
        this.reconcileLater()
        if (!natsTrouble(err)) this.rc.onError(err, `cluster: reconciling this node's subscribers of '${uri}'`)
        else if (this.rc.link.connected)
          this.rc.link.log.warn(`cluster: writing this node's subscribers of '${uri}' did not land; retrying in ${RETRY_MS} ms`, {
            node: this.rc.node,
            realm: this.rc.realm.name,
            error: `${(err as Error).name}: ${(err as Error).message}`,
          })
      })
  }

  /**
   * A record was applied here: if it left out a live subscriber of this node (another node took
   * this one for dead and removed it, or made the record again over it), this node re-asserts its
   * entries at once: the subscriber goes back in, keeping the subscription id its session was
   * given. This node's own removals take the session out of the broker first, so they never look like a loss.
   */
  private check(uri: string, match: MatchPolicy, record: SubscriptionRecord | undefined): void {
    const local = this.rc.realm.broker.index.get(uri, match)
    if (local === undefined) return
    const node = this.rc.node
    const inRecord = (session: number): boolean => record?.subscribers.some((s) => s.node === node && s.session === session) === true
    for (const s of local.subscribers) {
      if (s.closed || inRecord(s.id)) continue
      if (!this.rc.link.connected) return this.reconcileLater()
      this.rc.link.log.warn('cluster: a live subscriber was left out of its subscription record by another node; re-asserting this node', {
        node,
        realm: this.rc.realm.name,
        topic: uri,
        session: s.id,
      })
      // The whole re-assertion, in order (sessions, subscribers, callees): its session's key may be
      // gone too (this node was taken for dead) and goes back first, so every node sees on_join before on_subscribe.
      return this.rc.membership.rejoin()
    }
  }

  /** Remove one subscriber of this node; never fails: while NATS is away the record is made right later. */
  private async remove(key: string, session: number, quiet = false): Promise<void> {
    const node = this.rc.node
    const mine = (s: SubscriberRecord): boolean => s.node === node && s.session === session
    // This node no longer delivers to it either way; no waiting on a NATS that is away.
    if (!this.rc.link.connected) return this.reconcileLater()
    try {
      // Marked first, so that every node sees the removal is a quiet one (a deleted key carries nothing).
      if (quiet) await this.writer.change(key, markedQuiet(mine))
      await this.writer.change(key, without(mine))
    } catch {
      this.reconcileLater()
    }
  }

  /** At rejoin when NATS is away (onState 'connected' reconciles), else in a moment. */
  private reconcileLater(): void {
    if (this.retry !== undefined || !this.rc.link.connected) return
    this.retry = setTimeout(() => void this.reconcile(), RETRY_MS)
    this.retry.unref()
  }

  private refuse(session: Session, type: number, request: number, err: unknown): void {
    if (session.closed) return
    // A NATS failure (a timeout, a refused write) is the cluster being unavailable for now; a RouterError says what it is.
    if (!natsTrouble(err)) {
      if (!(err instanceof RouterError)) this.rc.onError(err, 'cluster: writing a subscription')
    } else if (!(err instanceof RouterError))
      this.rc.link.log.warn('cluster: SUBSCRIBE refused, its record could not be written', {
        node: this.rc.node,
        realm: this.rc.realm.name,
        error: `${(err as Error).name}: ${(err as Error).message}`,
      })
    const e = err instanceof RouterError ? err : new ClusterUnavailableError(`cannot subscribe: ${(err as Error).message}`)
    session.send([MessageCode.ERROR, type, request, {}, e.uri, [e.message]])
  }

  /** Every subscription write queued so far has been tried (a leaving session's key waits for its departures). */
  settled(): Promise<void> {
    return this.writer.settled()
  }

  private async close(): Promise<void> {
    clearTimeout(this.retry)
    await this.writer.settled()
    this.publications.close()
    this.replica.close()
  }
}
