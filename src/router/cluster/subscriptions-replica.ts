import { SubscriptionMeta } from '../../protocol/meta-uris.js'
import { PatternIndex } from '../pattern-index.js'
import type { Realm } from '../realm.js'
import { isReservedUri, type MatchPolicy } from '../uri.js'
import type { SubscriberRecord, SubscriptionRecord } from './records.js'
import type { KeyHandler } from './replica.js'
import { unpack } from './wire.js'

/** One subscription as the whole cluster holds it (its `sub.*` record), and what this node routes by. */
export class ClusterSubscription {
  constructor(
    readonly record: SubscriptionRecord,
    /** Subscribers on other nodes than this one: a publication here must cross only when > 0. */
    readonly remote: number,
  ) {}

  get id(): number {
    return this.record.id
  }

  get uri(): string {
    return this.record.uri
  }

  get match(): MatchPolicy {
    return this.record.match
  }

  /** `wamp.subscription.get` / `on_create` details, as the single router gives them. */
  details(): { id: number; created: string; uri: string; match: MatchPolicy } {
    return { id: this.record.id, created: this.record.created, uri: this.record.uri, match: this.record.match }
  }

  /** Session ids of every subscriber, on every node, in the order they subscribed. */
  sessions(): number[] {
    return this.record.subscribers.map((s) => s.session)
  }
}

/** What this node last applied for one key: the record (undefined once deleted) and the revision of that change. */
export interface AppliedKey {
  record: SubscriptionRecord | undefined
  revision: number
}

interface KeyWaiter {
  after: number
  resolve: () => void
}

/**
 * This node's replica of a realm's subscriptions (`sub.*` keys), fed by the realm's KV watch in the
 * bucket's order. It answers the subscription meta API for the whole realm, tells the broker's
 * publications whether another node has a matching subscriber, and derives the
 * `wamp.subscription.on_*` events from the difference between a record's old and new value, for
 * this node's own subscribers to them: every node sees the same changes in the same order, so each
 * event reaches every subscriber once, in order, whoever wrote the change.
 */
export class SubscriptionsReplica implements KeyHandler {
  readonly index = new PatternIndex<ClusterSubscription>()
  readonly byId = new Map<number, ClusterSubscription>()
  private readonly byKey = new Map<string, { sub: ClusterSubscription | undefined; revision: number }>()
  private readonly waiters = new Map<string, KeyWaiter[]>()
  /** Subscribers on other nodes, over every subscription: 0 means no publication has to cross. */
  private remoteSubscribers = 0

  constructor(
    private readonly realm: Realm,
    private readonly node: string,
    /** A record of (uri, match) was applied (undefined: deleted): ClusterPubSub checks it still holds this node's subscribers. */
    private readonly onApplied: (uri: string, match: MatchPolicy, record: SubscriptionRecord | undefined) => void = () => {},
  ) {}

  apply(key: string, value: Uint8Array | undefined, revision: number): void {
    const known = this.byKey.get(key)
    const before = known?.sub
    let record = value === undefined ? undefined : unpack<SubscriptionRecord>(value)
    if (record !== undefined && record.subscribers.length === 0) record = undefined
    if (before !== undefined) {
      this.index.delete(before)
      this.byId.delete(before.id)
      this.remoteSubscribers -= before.remote
    }
    let after: ClusterSubscription | undefined
    if (record !== undefined) {
      let remote = 0
      for (const s of record.subscribers) if (s.node !== this.node) remote++
      after = new ClusterSubscription(record, remote)
      this.index.add(after)
      this.byId.set(after.id, after)
      this.remoteSubscribers += remote
    }
    this.byKey.set(key, { sub: after, revision })
    this.publishMeta(before?.record, record)
    this.wake(key, revision)
    const subject = record ?? before?.record
    if (subject !== undefined) this.onApplied(subject.uri, subject.match, record)
  }

  /** The record of `key` as last applied here, with that change's revision (undefined: never seen). */
  applied(key: string): AppliedKey | undefined {
    const k = this.byKey.get(key)
    return k === undefined ? undefined : { record: k.sub?.record, revision: k.revision }
  }

  /** Resolves once a change of `key` after `revision` was applied here, or after `timeoutMs` (a watch that lags must not hold anyone). */
  changed(key: string, revision: number, timeoutMs: number): Promise<void> {
    if ((this.byKey.get(key)?.revision ?? 0) > revision) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs)
      const waiter: KeyWaiter = { after: revision, resolve: done }
      let list = this.waiters.get(key)
      if (list === undefined) this.waiters.set(key, (list = []))
      list.push(waiter)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  /** Whether a publication to `topic` has a subscriber on another node (O(1) when none has any). */
  hasRemoteSubscriber(topic: string): boolean {
    if (this.remoteSubscribers === 0) return false
    for (const s of this.index.all(topic)) if (s.remote > 0) return true
    return false
  }

  /** Every subscription that has a subscriber on `node`. */
  subscriptionsOf(node: string): ClusterSubscription[] {
    const out: ClusterSubscription[] = []
    for (const s of this.byId.values()) if (s.record.subscribers.some((x) => x.node === node)) out.push(s)
    return out
  }

  /** Let every waiter go on (the node is closing). */
  close(): void {
    for (const list of this.waiters.values()) for (const w of list) w.resolve()
    this.waiters.clear()
  }

  private wake(key: string, revision: number): void {
    const list = this.waiters.get(key)
    if (list === undefined) return
    const still = list.filter((w) => {
      if (w.after >= revision) return true
      w.resolve()
      return false
    })
    if (still.length === 0) this.waiters.delete(key)
    else this.waiters.set(key, still)
  }

  /** The spec's events for the change from `before` to `after`: on_create, on_subscribe…, on_unsubscribe…, on_delete. */
  private publishMeta(before: SubscriptionRecord | undefined, after: SubscriptionRecord | undefined): void {
    const uri = (after ?? before)?.uri
    // Meta events about subscriptions to the router's own topics would only echo the monitors.
    if (uri === undefined || isReservedUri(uri)) return
    if (before !== undefined && (after === undefined || after.id !== before.id)) {
      this.gone(before)
      before = undefined
    }
    if (after === undefined) return
    if (before === undefined) {
      this.realm.publishMeta(SubscriptionMeta.onCreate, [after.subscribers[0]!.session, new ClusterSubscription(after, 0).details()])
      for (const s of after.subscribers) this.realm.publishMeta(SubscriptionMeta.onSubscribe, [s.session, after.id])
      return
    }
    for (const s of after.subscribers) {
      if (!includes(before.subscribers, s)) this.realm.publishMeta(SubscriptionMeta.onSubscribe, [s.session, after.id])
    }
    for (const s of before.subscribers) {
      if (s.quiet !== true && !includes(after.subscribers, s)) this.realm.publishMeta(SubscriptionMeta.onUnsubscribe, [s.session, after.id])
    }
  }

  /** The record is gone with all its subscribers; quiet ones (kill_all) publish nothing, nor does the delete when the last one was. */
  private gone(record: SubscriptionRecord): void {
    for (const s of record.subscribers) if (s.quiet !== true) this.realm.publishMeta(SubscriptionMeta.onUnsubscribe, [s.session, record.id])
    const last = record.subscribers[record.subscribers.length - 1]
    if (last !== undefined && last.quiet !== true) this.realm.publishMeta(SubscriptionMeta.onDelete, [last.session, record.id])
  }
}

export function includes(list: readonly SubscriberRecord[], s: SubscriberRecord): boolean {
  for (const x of list) if (x.session === s.session && x.node === s.node) return true
  return false
}
