import { SessionMeta } from '../../protocol/meta-uris.js'
import type { Realm } from '../realm.js'
import type { KeyHandler } from './replica.js'
import type { SessionRecord } from './records.js'
import { unpack } from './wire.js'

/** A session of another node, as this node's replica of `ses.*` knows it. */
export interface RemoteSessionEntry {
  id: number
  node: string
  /** Its node's incarnation when it joined. */
  incarnation: string
  /** As wamp.session.get returns it, `node` included. */
  details: SessionRecord['details']
  /** KV revision of its key: a compare-and-set delete removes exactly this entry. */
  revision: number
  /** Its node is closing it without meta events (kill_all). */
  quiet: boolean
}

/**
 * The `ses.*` keys of a realm's bucket applied to this node: the sessions of the other nodes, and
 * the keys carrying this node's name (so that it can remove what it no longer has). Derives
 * wamp.session.on_join / on_leave of remote sessions for this node's own subscribers; a local
 * session's are published by the realm itself, so keys of this node publish nothing.
 */
export class SessionsReplica implements KeyHandler {
  /** Sessions of other nodes, by id. */
  private readonly remote = new Map<number, RemoteSessionEntry>()
  /** Ids of each other node's sessions. */
  private readonly byNode = new Map<string, Set<number>>()
  /** Keys carrying this node's name: session id → revision. */
  private readonly own = new Map<number, number>()

  constructor(
    private readonly realm: Realm,
    private readonly node: string,
    /** A remote session is gone: its proxy here goes too (registrations, subscriptions, calls in flight). */
    private readonly onGone: (id: number, node: string) => void,
    /**
     * A remote session's key is there again after it went (its node was declared dead while alive,
     * then re-asserted it): whatever the records still name of it is attached again.
     */
    private readonly onBack: (id: number, node: string) => void,
    /** A key of this node was deleted (by a survivor that took this node for dead, or by this node itself). */
    private readonly onOwnGone: (id: number) => void,
  ) {}

  get(id: number): RemoteSessionEntry | undefined {
    return this.remote.get(id)
  }

  /** Every session of the other nodes. */
  all(): IterableIterator<RemoteSessionEntry> {
    return this.remote.values()
  }

  /** The sessions of `node` this node knows of (a snapshot: safe to delete while iterating). */
  ofNode(node: string): RemoteSessionEntry[] {
    const ids = this.byNode.get(node)
    return ids === undefined ? [] : [...ids].map((id) => this.remote.get(id)!)
  }

  /** The other nodes holding sessions. */
  nodes(): string[] {
    return [...this.byNode.keys()]
  }

  /** Keys of this node in the bucket (id → revision), a snapshot. */
  ownKeys(): Array<[number, number]> {
    return [...this.own]
  }

  apply(key: string, value: Uint8Array | undefined, revision: number): void {
    const id = Number(key.slice(key.indexOf('.') + 1))
    if (!Number.isSafeInteger(id)) return
    if (value === undefined) return this.removed(id)
    const record = unpack<SessionRecord>(value)
    if (record.node === this.node) {
      this.own.set(id, revision)
      return
    }
    const had = this.remote.get(id)
    const entry: RemoteSessionEntry = {
      id,
      node: record.node,
      incarnation: record.incarnation,
      details: record.details,
      revision,
      quiet: record.quiet === true,
    }
    this.remote.set(id, entry)
    if (had !== undefined) return // re-asserted after a reconnect, or marked quiet: nothing new to say
    let ids = this.byNode.get(record.node)
    if (ids === undefined) this.byNode.set(record.node, (ids = new Set()))
    ids.add(id)
    // First seen already leaving quietly (joined and killed by kill_all at once): no events at all.
    if (!entry.quiet) this.realm.publishMeta(SessionMeta.onJoin, [record.details])
    // Its callees the records kept while its key was away get their proxy back (after on_join: the spec's order).
    this.onBack(id, record.node)
  }

  private removed(id: number): void {
    if (this.own.delete(id)) this.onOwnGone(id)
    const had = this.remote.get(id)
    if (had === undefined) return
    this.remote.delete(id)
    const ids = this.byNode.get(had.node)
    ids?.delete(id)
    if (ids?.size === 0) this.byNode.delete(had.node)
    // Its registrations and subscriptions go with it before on_leave, as for a local session.
    this.onGone(id, had.node)
    if (!had.quiet) this.realm.publishMeta(SessionMeta.onLeave, [id, had.details.authid, had.details.authrole])
  }
}
