import type { KV, KvEntry } from '@nats-io/kv'
import type { CalleeState } from '../../protocol/extensions.js'
import {
  ClusterUnavailableError,
  NoSuchRegistrationError,
  NoSuchSessionError,
  ProcedureAlreadyExistsError,
  RouterError,
} from '../errors.js'
import { randomId } from '../ids.js'
import { registrationConflict } from '../registration-conflict.js'
import type { InvokePolicy } from '../registration.js'
import type { MatchPolicy } from '../uri.js'
import { KeyPrefix, registrationKey } from './keys.js'
import type { ClusterLink } from './link.js'
import type { CalleeRecord, RegistrationRecord } from './records.js'
import { pack, unpack } from './wire.js'

/** A write that went through: the bucket's revision of it, and the record it left (undefined: deleted). */
export interface Written {
  revision: number
  record: RegistrationRecord | undefined
}

/** Which callees of a node: of one life (`incarnation`), or of every life but one (`sparing`), or all. */
export interface NodeCallees {
  incarnation?: string
  sparing?: string
}

export function isNodeCallee(c: CalleeRecord, node: string, which: NodeCallees): boolean {
  return (
    c.node === node &&
    (which.incarnation === undefined || c.incarnation === which.incarnation) &&
    (which.sparing === undefined || c.incarnation !== which.sparing)
  )
}

/** A state or weight change of one callee (cordon, drain, set_weight…), cluster-wide. */
export interface CalleeChange {
  state?: CalleeState
  weight?: number
  /** Why (wampctl.callee.on_state's `cause` on every node). */
  cause?: string
}

/** Conflicting writes (another node changed the key in between) are retried this many times at most. */
const MAX_ATTEMPTS = 40
/** Keys changed at once when a node's callees are removed from every registration. */
const SWEEP_BATCH = 32
/** JetStream's "wrong last sequence": the compare-and-set lost to another writer. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164])

/**
 * The registrations of a realm, cluster-wide: `reg.<match>.<b64 uri>` keys of the realm's KV
 * bucket, each written only by compare-and-set on its revision (retried on conflict), so that the
 * conflict rules, the registration id and the callees' order are decided once for every node.
 * It writes; every node's replica (registrations-replica.ts) applies what was written.
 */
export class Registry {
  constructor(
    private readonly kv: KV,
    private readonly link: ClusterLink,
    /** The key of a registration id, from this node's replica. */
    private readonly keyOf: (registrationId: number) => string | undefined,
  ) {}

  /**
   * Add `callee` to the registration of (uri, match), made now (id, created) if there is none.
   * Throws ProcedureAlreadyExistsError under the conflict rules, decided on the shared record.
   */
  async register(
    uri: string,
    match: MatchPolicy,
    invoke: InvokePolicy,
    callee: CalleeRecord,
  ): Promise<{ revision: number; record: RegistrationRecord }> {
    // Always a new record: the callee is added, or the rules refused it.
    return (await this.addCallee(uri, match, invoke, callee, false)) as { revision: number; record: RegistrationRecord }
  }

  /**
   * As register, but a callee of that session already there is no error (undefined: nothing to
   * write), and a record made again keeps `original`'s id and creation time (the ones its callee
   * was told). Re-asserting a callee the registry lost.
   */
  ensureCallee(
    uri: string,
    match: MatchPolicy,
    invoke: InvokePolicy,
    callee: CalleeRecord,
    original?: { id: number; created: string },
  ): Promise<Written | undefined> {
    return this.addCallee(uri, match, invoke, callee, true, original)
  }

  private addCallee(
    uri: string,
    match: MatchPolicy,
    invoke: InvokePolicy,
    callee: CalleeRecord,
    present: boolean,
    original?: { id: number; created: string },
  ): Promise<Written | undefined> {
    return this.change(registrationKey(uri, match), `register '${uri}'`, (rec) => {
      if (rec === undefined) {
        const { id, created } = original ?? { id: randomId(), created: new Date().toISOString() }
        return { id, uri, match, invoke, created, callees: [callee] }
      }
      // Put back under the id its session was told: it cannot join a registration made meanwhile
      // under another id (its INVOCATIONs would name an id it does not know); it is revoked instead.
      if (original !== undefined && rec.id !== original.id) {
        throw new ProcedureAlreadyExistsError(`'${uri}' (match ${match}) was registered again meanwhile, as registration ${rec.id}`, {
          registration: rec.id,
          match: rec.match,
          invoke: rec.invoke,
        })
      }
      const already = rec.callees.some((c) => c.session === callee.session)
      if (already && present) return rec
      const conflict = registrationConflict(rec, uri, invoke, already)
      if (conflict !== undefined) throw conflict
      return { ...rec, callees: [...rec.callees, callee] }
    })
  }

  /** Remove the callee of `session` from the registration at `key` (deleted with its last callee). */
  removeCallee(key: string, session: number): Promise<Written | undefined> {
    return this.change(key, 'unregister', (rec) => withoutCallees(rec, (c) => c.session === session))
  }

  /** Change a callee's state and/or weight on every node (cordon, uncordon, drain, set_weight). */
  updateCallee(registrationId: number, session: number, change: CalleeChange): Promise<Written | undefined> {
    const key = this.keyOf(registrationId)
    if (key === undefined) return Promise.reject(new NoSuchRegistrationError(registrationId))
    return this.change(key, 'change a callee', (rec) => {
      if (rec === undefined || rec.id !== registrationId) throw new NoSuchRegistrationError(registrationId)
      const i = rec.callees.findIndex((c) => c.session === session)
      if (i < 0) throw new NoSuchSessionError(session)
      const c = rec.callees[i]!
      const state = change.state ?? c.state
      const weight = change.weight ?? c.weight
      if (state === c.state && weight === c.weight) return rec
      const callees = rec.callees.slice()
      callees[i] = { ...c, state, weight, ...(change.cause !== undefined ? { cause: change.cause } : {}) }
      return { ...rec, callees }
    })
  }

  /**
   * Remove `node`'s callees from every registration: a dead node's (every survivor may run this:
   * compare-and-set makes it idempotent), or, with `sparing`, a node's earlier lives (its own at
   * start). `incarnation` limits it to one life of the node. `keys`: where to look (the replica's
   * records naming the node), else every registration key in the bucket. `stillDown`, asked
   * before each write: false once the node is heard again (it was held up, not dead: it puts back
   * what it still has, so nothing more is removed).
   */
  async removeNode(node: string, which: NodeCallees = {}, keys?: string[], stillDown: () => boolean = () => true): Promise<void> {
    const gone = (c: CalleeRecord): boolean => isNodeCallee(c, node, which)
    if (keys === undefined) {
      keys = []
      try {
        for await (const k of await this.kv.keys(`${KeyPrefix.registration}.>`)) keys.push(k)
      } catch (err) {
        throw new ClusterUnavailableError(`cannot list the registrations: ${(err as Error).message}`, { cause: err })
      }
    }
    for (let i = 0; i < keys.length; i += SWEEP_BATCH) {
      await Promise.all(
        keys
          .slice(i, i + SWEEP_BATCH)
          .map((k) => this.change(k, `remove node ${node}'s callees`, (rec) => (stillDown() ? withoutCallees(rec, gone) : rec))),
      )
    }
  }

  /**
   * Compare-and-set `key`: read it, let `mutate` decide the next record (the same object: no
   * change; undefined: delete; a RouterError thrown: refused), write it on the revision read,
   * and start over when another writer came first. Undefined when nothing had to change.
   */
  private async change(
    key: string,
    what: string,
    mutate: (rec: RegistrationRecord | undefined) => RegistrationRecord | undefined,
  ): Promise<Written | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (!this.link.connected) throw new ClusterUnavailableError(`cannot ${what}: the cluster's NATS is not reachable`)
      let entry: KvEntry | null
      try {
        entry = await this.kv.get(key)
      } catch (err) {
        throw new ClusterUnavailableError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
      }
      const current = entry !== null && entry.operation === 'PUT' ? unpack<RegistrationRecord>(entry.value) : undefined
      const next = mutate(current)
      if (next === current) return undefined
      try {
        if (next === undefined) {
          await this.kv.delete(key, { previousSeq: entry!.revision })
          // delete() does not say its revision: the key's latest (this delete, or a later write) does.
          const after = await this.kv.get(key)
          return { revision: after?.revision ?? entry!.revision + 1, record: undefined }
        }
        const revision = await this.kv.put(key, pack(next), { previousSeq: entry?.revision ?? 0 })
        return { revision, record: next }
      } catch (err) {
        if (err instanceof RouterError) throw err
        if (!WRONG_LAST_SEQUENCE.has((err as { code?: number }).code ?? 0))
          throw new ClusterUnavailableError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
        // Lost the race: wait a moment (more for each loss, with jitter so the losers spread out) and read again.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 + attempt * 2, 40)))
      }
    }
    throw new ClusterUnavailableError(`cannot ${what}: the registry kept changing under ${MAX_ATTEMPTS} attempts`)
  }
}

/** `rec` without the callees `gone` picks: the same record when none, undefined (delete) when none is left. */
function withoutCallees(rec: RegistrationRecord | undefined, gone: (c: CalleeRecord) => boolean): RegistrationRecord | undefined {
  if (rec === undefined || !rec.callees.some(gone)) return rec
  const callees = rec.callees.filter((c) => !gone(c))
  return callees.length === 0 ? undefined : { ...rec, callees }
}
