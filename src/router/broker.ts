import { SubscriptionMeta } from '../protocol/meta-uris.js'
import { MessageCode } from '../protocol/message-codes.js'
import { EventDropReason } from './counters.js'
import { EventDelivery } from './event-flow.js'
import { InvalidArgumentError, InvalidUriError, NoSuchSubscriptionError, NotAuthorizedError } from './errors.js'
import { nextRouterScopeId, randomId } from './ids.js'
import type { Args, Dict, Kwargs } from './inbound.js'
import { PatternIndex } from './pattern-index.js'
import { withPayload } from './payload.js'
import type { Realm } from './realm.js'
import type { Serializer } from './serializers.js'
import { Session } from './session.js'
import type { Testament } from './testaments.js'
import { Subscription } from './subscription.js'
import { checkUri, isReservedUri, type MatchPolicy } from './uri.js'

const MATCH_POLICIES: readonly MatchPolicy[] = ['exact', 'prefix', 'wildcard']

/** Who published an event: a session here, or (in a cluster) a session of another node. */
export interface Publisher {
  readonly id: number
  readonly authid: string
  readonly authrole: string
}

/**
 * The broker of one realm: subscriptions and event delivery. It alone mutates subscription state.
 * Each event is encoded once per (subscription, serializer) and the bytes fanned out.
 */
export class Broker {
  readonly index = new PatternIndex<Subscription>()
  readonly byId = new Map<number, Subscription>()

  constructor(private readonly realm: Realm) {}

  subscribe(session: Session, request: number, options: Dict, topic: string): void {
    const match = (options.match ?? 'exact') as MatchPolicy
    if (!MATCH_POLICIES.includes(match)) throw new InvalidArgumentError(`unknown match policy ${JSON.stringify(options.match)}`)
    checkUri(topic, match, this.realm.strictUris)
    if (!this.realm.authorizer.may(session, 'subscribe', topic)) {
      throw new NotAuthorizedError(`role '${session.authrole}' may not subscribe to '${topic}'`)
    }
    // A cluster node writes the cluster-wide record first; it answers SUBSCRIBED itself (cluster/pubsub.ts).
    if (this.realm.cluster !== undefined) return this.realm.cluster.pubsub.subscribe(session, request, topic, match)
    let sub = this.index.get(topic, match)
    let created = false
    if (sub === undefined) {
      sub = new Subscription(nextRouterScopeId(), topic, match)
      this.index.add(sub)
      this.byId.set(sub.id, sub)
      created = true
    }
    const added = !sub.subscribers.has(session)
    sub.subscribers.add(session)
    session.subscriptions.add(sub)
    session.send([MessageCode.SUBSCRIBED, request, sub.id])
    // Meta events about subscriptions to the router's own topics would only echo the monitors.
    if (isReservedUri(topic)) return
    if (created) this.realm.publishMeta(SubscriptionMeta.onCreate, [session.id, sub.details()])
    if (added) this.realm.publishMeta(SubscriptionMeta.onSubscribe, [session.id, sub.id])
  }

  unsubscribe(session: Session, request: number, subscriptionId: number): void {
    const sub = this.byId.get(subscriptionId)
    if (sub === undefined || !sub.subscribers.has(session)) throw new NoSuchSubscriptionError(subscriptionId)
    if (this.realm.cluster !== undefined) {
      this.dropSubscriber(session, sub)
      return this.realm.cluster.pubsub.unsubscribe(session, request, sub)
    }
    this.detachSubscriber(session, sub)
    session.send([MessageCode.UNSUBSCRIBED, request])
  }

  publish(session: Session, request: number, options: Dict, topic: string, args: Args, kwargs: Kwargs): void {
    checkUri(topic, 'exact', this.realm.strictUris)
    if (isReservedUri(topic)) throw new InvalidUriError(topic, "'wamp.' and 'wampctl.' topics are the router's own")
    if (!(session.allowAll.publish || this.realm.authorizer.may(session, 'publish', topic))) {
      throw new NotAuthorizedError(`role '${session.authrole}' may not publish to '${topic}'`)
    }
    const publication = this.deliver(topic, args, kwargs, options, session)
    // Never waits on NATS: sent on, or counted as not sent.
    this.realm.cluster?.pubsub.forward(topic, args, kwargs, options, session, publication)
    if (options.acknowledge === true) session.send([MessageCode.PUBLISHED, request, publication])
  }

  /** A testament of `session`, which is gone: published as by it, with its options, unacknowledged. */
  publishTestament(session: Session, t: Testament): void {
    const publication = this.deliver(t.topic, t.args, t.kwargs, t.options, session)
    this.realm.cluster?.pubsub.forward(t.topic, t.args, t.kwargs, t.options, session, publication)
  }

  /**
   * Cluster: a publication made on another node (cluster/publications.ts), delivered to this
   * node's subscribers with its options applied here and the publication id its node chose.
   */
  deliverForwarded(topic: string, args: Args, kwargs: Kwargs, options: Dict, publisher: Publisher, publication: number): void {
    this.deliver(topic, args, kwargs, options, publisher, publication)
  }

  /**
   * Cluster: `session` holds the subscription (topic, match) whose id the cluster-wide record
   * gives. No meta events here: every node derives them from the record's change.
   */
  attach(session: Session, id: number, topic: string, match: MatchPolicy): Subscription {
    let sub = this.index.get(topic, match)
    if (sub === undefined) {
      sub = new Subscription(id, topic, match)
      this.index.add(sub)
      this.byId.set(sub.id, sub)
    }
    sub.subscribers.add(session)
    session.subscriptions.add(sub)
    return sub
  }

  /** An event from the router itself (meta events, extension ticks). */
  publishFromRouter(topic: string, args: Args, kwargs?: Kwargs): void {
    this.deliver(topic, args, kwargs, {}, undefined)
  }

  hasSubscribers(topic: string): boolean {
    for (const sub of this.index.all(topic)) if (sub.subscribers.size > 0) return true
    return false
  }

  /**
   * A session left: drop it from every subscription it held (events in spec order). On a cluster,
   * `quietElsewhere` (kill_all) keeps every node from publishing its on_unsubscribe/on_delete.
   */
  detach(session: Session, quietElsewhere = false): void {
    const cluster = this.realm.cluster
    for (const sub of [...session.subscriptions]) {
      if (cluster === undefined) {
        this.detachSubscriber(session, sub)
      } else {
        this.dropSubscriber(session, sub)
        cluster.pubsub.left(session.id, sub, quietElsewhere)
      }
    }
  }

  private detachSubscriber(session: Session, sub: Subscription): void {
    sub.subscribers.delete(session)
    session.subscriptions.delete(sub)
    const meta = !isReservedUri(sub.uri)
    if (meta) this.realm.publishMeta(SubscriptionMeta.onUnsubscribe, [session.id, sub.id])
    if (sub.subscribers.size === 0) {
      this.index.delete(sub)
      this.byId.delete(sub.id)
      if (meta) this.realm.publishMeta(SubscriptionMeta.onDelete, [session.id, sub.id])
    }
  }

  /** Cluster: `session` leaves `sub` on this node (the record and the meta events are the cluster's). */
  private dropSubscriber(session: Session, sub: Subscription): void {
    sub.subscribers.delete(session)
    session.subscriptions.delete(sub)
    if (sub.subscribers.size === 0) {
      this.index.delete(sub)
      this.byId.delete(sub.id)
    }
  }

  /**
   * Fan an event out to this node's subscribers. `publisher` is a session here, a session of
   * another node (a forwarded publication: exclude_me holds by itself, it has no subscriber here),
   * or undefined for the router's own events.
   */
  private deliver(
    topic: string,
    args: Args,
    kwargs: Kwargs,
    options: Dict,
    publisher: Publisher | undefined,
    publication = randomId(),
  ): number {
    const subs = this.index.all(topic)
    if (subs.length === 0) return publication
    const filter = publisher === undefined ? undefined : eligibilityFilter(options, publisher)
    const details: Dict = {}
    if (publisher !== undefined && options.disclose_me === true) {
      details.publisher = publisher.id
      details.publisher_authid = publisher.authid
      details.publisher_authrole = publisher.authrole
    }
    // The first subscriber left congested by this fan-out: the publisher waits for it to drain.
    let congested: Session | undefined
    let sent = 0
    for (const sub of subs) {
      const d = sub.match === 'exact' ? details : { ...details, topic }
      const message = withPayload([MessageCode.EVENT, sub.id, publication, d], args, kwargs)
      // One encoding per serializer in use among this subscription's subscribers; null: that
      // serializer cannot carry the event (a bignum for JSON…), its subscribers are skipped and counted.
      let encoded: Map<string, Buffer | string | null> | undefined
      for (const s of sub.subscribers) {
        if (s.closed) continue
        if (filter !== undefined && !filter(s)) continue
        const ser = s.transport.serializer
        encoded ??= new Map()
        let data = encoded.get(ser.protocol)
        if (data === undefined) {
          data = encodeOrNull(ser, message)
          encoded.set(ser.protocol, data)
        }
        if (data === null) {
          this.realm.counters.eventDropped(EventDropReason.unencodable)
          continue
        }
        const delivery = s.transport.sendEvent(data)
        if (delivery === EventDelivery.congested) congested ??= s
        if (delivery !== EventDelivery.dropped) sent++
      }
    }
    // A publisher that is gone (a testament), or on another node, has nothing to hold back here.
    if (publisher instanceof Session && !publisher.closed) publisher.transport.events.published(sent, congested?.transport.events)
    return publication
  }
}

/** The event's bytes for one serializer, or null when that serializer cannot carry its values. */
function encodeOrNull(ser: Serializer, message: unknown[]): Buffer | null {
  let out: Buffer | string
  try {
    out = ser.encode(message)
  } catch {
    return null
  }
  // Bytes, not a string: the WebSocket layer would otherwise convert a JSON string once per subscriber.
  return typeof out === 'string' ? Buffer.from(out) : out
}

/** PUBLISH.Options: exclude_me (default true), exclude/eligible by session, authid, authrole. */
function eligibilityFilter(options: Dict, publisher: Publisher): ((s: Session) => boolean) | undefined {
  const excludeMe = options.exclude_me !== false
  const exclude = idSet(options.exclude)
  const eligible = idSet(options.eligible)
  const excludeAuthid = strSet(options.exclude_authid)
  const eligibleAuthid = strSet(options.eligible_authid)
  const excludeAuthrole = strSet(options.exclude_authrole)
  const eligibleAuthrole = strSet(options.eligible_authrole)
  if (!excludeMe && !exclude && !eligible && !excludeAuthid && !eligibleAuthid && !excludeAuthrole && !eligibleAuthrole) {
    return undefined
  }
  return (s) =>
    !(excludeMe && s.id === publisher.id) &&
    (eligible === undefined || eligible.has(s.id)) &&
    (exclude === undefined || !exclude.has(s.id)) &&
    (eligibleAuthid === undefined || eligibleAuthid.has(s.authid)) &&
    (excludeAuthid === undefined || !excludeAuthid.has(s.authid)) &&
    (eligibleAuthrole === undefined || eligibleAuthrole.has(s.authrole)) &&
    (excludeAuthrole === undefined || !excludeAuthrole.has(s.authrole))
}

function idSet(v: unknown): Set<number> | undefined {
  return Array.isArray(v) ? new Set(v.filter((x): x is number => typeof x === 'number')) : undefined
}

function strSet(v: unknown): Set<string> | undefined {
  return Array.isArray(v) ? new Set(v.filter((x): x is string => typeof x === 'string')) : undefined
}
