import { RegistrationMeta } from '../../protocol/meta-uris.js'
import type { Realm } from '../realm.js'
import { Callee, Registration, UNLIMITED, type InvokePolicy } from '../registration.js'
import type { MatchPolicy } from '../uri.js'
import type { Session } from '../session.js'
import type { CalleeRecord, RegistrationRecord } from './records.js'
import type { RemoteSessions } from './remote-session.js'
import type { KeyHandler } from './replica.js'
import { unpack } from './wire.js'

/** A REGISTER the dealer validated, for the registry. */
export interface RegisterRequest {
  procedure: string
  match: MatchPolicy
  invoke: InvokePolicy
  discloseCaller: boolean
  deadlineMs: number
  concurrency: number
  /** The REGISTER's `_weight` (1 without). */
  weight: number
}

/** What one of this node's sessions asked for in its REGISTER: its callee here is made with it. */
export interface LocalCallee extends RegisterRequest {
  session: Session
  /** The registration's id and creation time as REGISTERED told the session: kept if the record must be made again. */
  registration?: { id: number; created: string }
}

/** This node's own callees, as its REGISTER/UNREGISTER flows know them (registrations.ts). */
export interface LocalCallees {
  /** The REGISTER of `session` at `key`, while that session wants to be a callee there. */
  wanted(key: string, session: number): LocalCallee | undefined
  /** A record names a callee of this node that no session here wants (an earlier life, a session that left): remove it. */
  stale(key: string, callee: CalleeRecord): void
  /** A callee of this node was removed by another node while its session still wants it (this node was thought dead). */
  lost(key: string, callee: CalleeRecord): void
}

/** One registration as this node applied it: the last record, and the dealer's objects made from it. */
interface Applied {
  record: RegistrationRecord
  reg: Registration
  /** The Callee made for each callee record, by session id (detached ones too, until the record drops them). */
  callees: Map<number, Callee>
}

/**
 * Applies the registry's `reg.*` records to this node's dealer: each registration with the
 * record's id, URI, policies and creation time; its callees in the record's (cluster-wide) order,
 * this node's as its sessions' real callees, other nodes' through proxies (RemoteSessions). Each
 * node keeps its own round-robin pointer over all of them, re-based on removal by the Registration.
 *
 * Registration meta events are derived here, from the difference between the last record applied
 * and the new one, and published to this node's subscribers only: the bucket's changes come in
 * the same order on every node, so every node publishes the same events in the same order, once.
 */
export class RegistrationsReplica implements KeyHandler {
  private readonly applied = new Map<string, Applied>()
  private readonly keyById = new Map<number, string>()
  /** Keys of the records naming each other node's session: what revive() looks at. */
  private readonly remoteKeys = new Map<number, Set<string>>()

  constructor(
    private readonly realm: Realm,
    private readonly node: string,
    private readonly remoteSessions: RemoteSessions,
    private readonly local: LocalCallees,
  ) {}

  /** The key of a registration this node knows. */
  keyOf(registrationId: number): string | undefined {
    return this.keyById.get(registrationId)
  }

  /** The last record applied at `key`. */
  record(key: string): RegistrationRecord | undefined {
    return this.applied.get(key)?.record
  }

  /** Every key with its last record. */
  records(): IterableIterator<[string, RegistrationRecord]> {
    const entries = this.applied.entries()
    return (function* () {
      for (const [k, a] of entries) yield [k, a.record] as [string, RegistrationRecord]
    })()
  }

  /** The Callee this node made for `session`'s callee record at `key`. */
  callee(key: string, session: number): Callee | undefined {
    return this.applied.get(key)?.callees.get(session)
  }

  /**
   * Session `id` of another node is known again (its key came back): its callees that the records
   * still name but whose proxy was dropped meanwhile (its key went while its node re-asserted
   * them) are attached again with a fresh proxy. No meta events: the records did not change.
   */
  revive(id: number): void {
    const keys = this.remoteKeys.get(id)
    if (keys === undefined) return
    for (const key of [...keys]) {
      const a = this.applied.get(key)
      const c = a?.record.callees.find((x) => x.session === id)
      if (a !== undefined && c !== undefined) this.reattach(key, a, c)
    }
  }

  /**
   * Node `node` (its life `incarnation`) is heard again after this node declared it dead: the
   * callees of it that the records still name (this node's cleanup did not land, or was undone)
   * are attached again with fresh proxies. Rare (a node-up), O(records).
   */
  reviveNode(node: string, incarnation: string): void {
    for (const [key, a] of this.applied)
      for (const c of a.record.callees) if (c.node === node && c.incarnation === incarnation) this.reattach(key, a, c)
  }

  /** `c` attached again if its Callee here was detached, where the record has it among the callees attached here (the registry's order). */
  private reattach(key: string, a: Applied, c: CalleeRecord): void {
    if (a.callees.get(c.session)?.attached === true) return
    let at = 0
    for (const x of a.record.callees) {
      if (x.session === c.session) break
      if (a.callees.get(x.session)?.attached === true) at++
    }
    this.add(key, a, c, at)
  }

  apply(key: string, value: Uint8Array | undefined, _revision: number): void {
    const next = value === undefined ? undefined : unpack<RegistrationRecord>(value)
    let a = this.applied.get(key)
    if (a !== undefined && (next === undefined || next.id !== a.record.id || next.callees.length === 0)) {
      this.delete(key, a)
      a = undefined
    }
    if (next === undefined || next.callees.length === 0) return

    const prev = a?.record
    if (a === undefined) {
      const reg = new Registration(next.id, next.uri, next.match, next.invoke, new Date(next.created))
      a = { record: next, reg, callees: new Map() }
      this.applied.set(key, a)
      this.keyById.set(next.id, key)
      this.realm.publishMeta(RegistrationMeta.onCreate, [next.callees[0]!.session, reg.details()])
    }
    a.record = next

    const before = new Map<number, CalleeRecord>()
    if (prev !== undefined) for (const c of prev.callees) before.set(c.session, c)
    if (prev !== undefined) {
      const after = new Set(next.callees.map((c) => c.session))
      for (const c of prev.callees) {
        if (after.has(c.session)) continue
        this.remove(key, a, c)
        this.realm.publishMeta(RegistrationMeta.onUnregister, [c.session, next.id])
      }
    }
    for (const c of next.callees) {
      const old = before.get(c.session)
      if (old === undefined) {
        this.add(key, a, c)
        this.realm.publishMeta(RegistrationMeta.onRegister, [c.session, next.id])
      } else if (old.state !== c.state || old.weight !== c.weight) {
        this.change(a, old, c)
      }
    }
  }

  /** The registration is gone from the registry (or replaced by a new one under the same key). */
  private delete(key: string, a: Applied): void {
    const { record, reg } = a
    this.applied.delete(key)
    this.keyById.delete(record.id)
    for (const c of record.callees) {
      this.remove(key, a, c)
      this.realm.publishMeta(RegistrationMeta.onUnregister, [c.session, record.id])
    }
    if (this.realm.dealer.byId.get(reg.id) === reg) this.realm.dealer.dropRegistration(reg)
    const last = record.callees[record.callees.length - 1]
    this.realm.publishMeta(RegistrationMeta.onDelete, [last?.session ?? 0, record.id])
  }

  private add(key: string, a: Applied, c: CalleeRecord, at?: number): void {
    let callee: Callee
    if (c.node === this.node) {
      const want = this.local.wanted(key, c.session)
      if (want === undefined || want.session.closed) return this.local.stale(key, c)
      callee = new Callee(a.reg, want.session, want.discloseCaller, want.deadlineMs, want.concurrency)
    } else {
      // Its node applies the REGISTER's disclose_caller and deadline; the cap is shown (and held per node) here too.
      // The deadline is armed here as well (one timer per call, only for callees that have one): a
      // caller here is answered wamp.error.timeout at the deadline even if the callee's node is frozen.
      const proxy = this.remoteSessions.obtain(c.node, c.session, {
        authid: c.authid,
        authrole: c.authrole,
        authmethod: '',
        authprovider: '',
      })
      callee = new Callee(a.reg, proxy, false, c.deadlineMs ?? 0, c.concurrency ?? UNLIMITED)
      let keys = this.remoteKeys.get(c.session)
      if (keys === undefined) this.remoteKeys.set(c.session, (keys = new Set()))
      keys.add(key)
    }
    a.callees.set(c.session, callee)
    this.realm.dealer.adoptCallee(callee, c.state, c.weight, at)
  }

  private remove(key: string, a: Applied, c: CalleeRecord): void {
    const callee = a.callees.get(c.session)
    a.callees.delete(c.session)
    const keys = this.remoteKeys.get(c.session)
    if (keys?.delete(key) === true && keys.size === 0) this.remoteKeys.delete(c.session)
    // Already gone here when its session left (or its node went down) before the registry said so.
    if (callee?.attached === true) this.realm.dealer.removeCallee(callee)
    if (c.node === this.node && this.local.wanted(key, c.session) !== undefined) this.local.lost(key, c)
  }

  /** Only what the record changed: the writer's node may already have applied it (then nothing happens twice). */
  private change(a: Applied, old: CalleeRecord, c: CalleeRecord): void {
    const callee = a.callees.get(c.session)
    if (callee === undefined || !callee.attached) return
    if (old.state !== c.state && callee.state !== c.state) this.realm.dealer.setCalleeState(callee, c.state, c.cause ?? 'cluster')
    if (old.weight !== c.weight && callee.weight !== c.weight) this.realm.dealer.setCalleeWeight(callee, c.weight)
  }
}
