import type { KV } from '@nats-io/kv'
import { ClusterUnavailableError } from '../errors.js'
import type { MatchPolicy } from '../uri.js'
import { subscriptionKey } from './keys.js'
import type { SubscriberRecord, SubscriptionRecord } from './records.js'
import { includes, type AppliedKey, type SubscriptionsReplica } from './subscriptions-replica.js'
import { pack, unpack } from './wire.js'

/** A compare-and-set on a `sub.*` key lost this many times in a row: something else hammers the key. */
const MAX_ATTEMPTS = 20
/** Most a write waits to see itself applied by this node's replica (read-your-writes for the meta API). */
const APPLY_WAIT_MS = 5000
/** Cluster-wide subscription ids stay below 2^32, so EVENT messages carry no integer wider than 32 bits. */
const ID_SPACE = 2 ** 32 - 1

/** A change of one record: the new record, undefined to delete the key, or `unchanged`. */
export type RecordChange = (current: SubscriptionRecord | undefined) => SubscriptionRecord | undefined | typeof unchanged
export const unchanged = Symbol('unchanged')

/**
 * The writer of a realm's `sub.*` keys: every change is a compare-and-set on the key's revision,
 * retried on conflict from a fresh read, so concurrent SUBSCRIBEs on different nodes all land and
 * the first one's id is the subscription's id everywhere. Changes of one key made by this node
 * run one after the other, in the order asked (a SUBSCRIBE, then its UNSUBSCRIBE).
 */
export class SubscriptionWriter {
  private readonly tails = new Map<string, Promise<unknown>>()

  constructor(
    private readonly kv: KV,
    private readonly replica: SubscriptionsReplica,
  ) {}

  /** Run `task` after every earlier task of `key` on this node. */
  serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const run = previous.then(task, task)
    const tail = run.catch(() => undefined)
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return run
  }

  /** Every change queued so far has been tried. */
  async settled(): Promise<void> {
    await Promise.all([...this.tails.values()])
  }

  /** Apply `change` to `key`; resolves with the record as written (or found, when unchanged) once this node applied it. */
  async change(key: string, change: RecordChange): Promise<SubscriptionRecord | undefined> {
    let known: AppliedKey | undefined = this.replica.applied(key)
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const next = change(known?.record)
      if (next === unchanged) return known?.record
      try {
        if (next === undefined) {
          await this.kv.delete(key, { previousSeq: known!.revision })
          await this.replica.changed(key, known!.revision, APPLY_WAIT_MS)
        } else {
          const value = pack(next)
          const revision = known === undefined ? await this.kv.create(key, value) : await this.kv.update(key, value, known.revision)
          await this.replica.changed(key, revision - 1, APPLY_WAIT_MS)
        }
        return next
      } catch (err) {
        if (!isConflict(err)) throw err
        known = await this.read(key)
      }
    }
    throw new ClusterUnavailableError(`cannot change subscription ${key}: it kept changing under ${MAX_ATTEMPTS} attempts`)
  }

  /** A subscription id no other subscription of the realm has. */
  freshId(): number {
    let id = 1 + Math.floor(Math.random() * ID_SPACE)
    while (this.replica.byId.has(id)) id = 1 + Math.floor(Math.random() * ID_SPACE)
    return id
  }

  private async read(key: string): Promise<AppliedKey | undefined> {
    const e = await this.kv.get(key)
    if (e === null) return undefined
    const record = e.operation === 'PUT' && e.value.length > 0 ? unpack<SubscriptionRecord>(e.value) : undefined
    return { record: record !== undefined && record.subscribers.length > 0 ? record : undefined, revision: e.revision }
  }
}

/** The JetStream answer to a compare-and-set whose expected revision was not the key's last. */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  // 10071 StreamWrongLastSequence, 10164 StreamWrongLastSequenceUnknown (@nats-io/jetstream JetStreamApiCodes).
  return (err as Error | null)?.name === 'JetStreamApiError' && (code === 10071 || code === 10164)
}

export function keyOf(uri: string, match: MatchPolicy): string {
  return subscriptionKey(uri, match)
}

/** `subscriber` added (at the end: subscription order), or a new record with `id` when there is none. */
export function withSubscriber(subscriber: SubscriberRecord, uri: string, match: MatchPolicy, id: () => number): RecordChange {
  return (cur) => {
    if (cur === undefined) return { id: id(), uri, match, created: new Date().toISOString(), subscribers: [subscriber] }
    if (includes(cur.subscribers, subscriber)) return unchanged
    return { ...cur, subscribers: [...cur.subscribers, subscriber] }
  }
}

/** The subscribers for which `gone` holds removed; the key deleted with the last one. */
export function without(gone: (s: SubscriberRecord) => boolean): RecordChange {
  return (cur) => {
    if (cur === undefined) return unchanged
    const left = cur.subscribers.filter((s) => !gone(s))
    if (left.length === cur.subscribers.length) return unchanged
    return left.length === 0 ? undefined : { ...cur, subscribers: left }
  }
}

/** The subscribers for which `which` holds marked `quiet`: their removal that follows publishes no meta events. */
export function markedQuiet(which: (s: SubscriberRecord) => boolean): RecordChange {
  return (cur) => {
    if (cur === undefined || !cur.subscribers.some((s) => which(s) && s.quiet !== true)) return unchanged
    return { ...cur, subscribers: cur.subscribers.map((s) => (which(s) ? { ...s, quiet: true as const } : s)) }
  }
}

/**
 * `node`'s subscribers made exactly `live` (its sessions subscribed now): the ones it no longer has
 * removed, the missing ones added at the end. A record created here takes `id` (the subscription's
 * id on this node, when it has one).
 */
export function reconciled(node: string, live: number[], uri: string, match: MatchPolicy, id: () => number): RecordChange {
  return (cur) => {
    const kept = (cur?.subscribers ?? []).filter((s) => s.node !== node || live.includes(s.session))
    const added = live.filter((session) => !kept.some((s) => s.node === node && s.session === session))
    if (cur !== undefined && added.length === 0 && kept.length === cur.subscribers.length) return unchanged
    const subscribers = [...kept, ...added.map((session) => ({ node, session }))]
    if (subscribers.length === 0) return cur === undefined ? unchanged : undefined
    if (cur === undefined) return { id: id(), uri, match, created: new Date().toISOString(), subscribers }
    return { ...cur, subscribers }
  }
}
