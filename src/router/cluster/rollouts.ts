import type { KvEntry } from '@nats-io/kv'
import type { Subscription } from '@nats-io/transport-node'
import { RolloutUri, type RolloutEvent, type RolloutRecord, type RolloutUpdate } from '../../protocol/rollout.js'
import { ClusterUnavailableError, InvalidArgumentError, RemoteNodeError, RolloutRefusedError } from '../errors.js'
import { HISTORY_PER_URI, rolloutOwnerOf } from '../extensions/rollout/controller.js'
import type { RolloutOwner, RolloutStore, SteerVerb, StoredRollouts } from '../extensions/rollout/store.js'
import { fromToken, KeyPrefix, rolloutKey } from './keys.js'
import type { RealmCluster } from './realm-cluster.js'
import type { RolloutEntry } from './records.js'
import type { KeyHandler } from './replica.js'
import { NodeRequestError } from './requests.js'
import { pack, unpack } from './wire.js'

/** Request kind (NodeRequests): steer a rollout the asked node runs. */
export const RolloutRequest = { steer: 'rollout.steer' } as const

/** Steering answers at once; an abort waits for the rollback's drain of the canary (its --drain-timeout) and this. */
const STEER_TIMEOUT_MS = 5000
/** Conflicting writes (another node wrote the key in between) are retried this many times at most. */
const MAX_ATTEMPTS = 40
/** JetStream's "wrong last sequence": the compare-and-set lost to another writer. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164])

interface SteerBody {
  verb: SteerVerb
  uri: string
  by: string
  full: boolean
}

/** What one change does to an entry: the next entry, or the same object for no change. */
type Mutate = (entry: RolloutEntry | undefined) => RolloutEntry | undefined

/**
 * The rollouts of a realm cluster-wide (docs/rollout.md, "On a cluster"), on `RealmCluster.rollouts`:
 *
 * - one key per URI (`rol.<b64 uri>`, a RolloutEntry): the running rollout, the node that owns it,
 *   and the last finished ones. The owner writes each change of its record (compare-and-set that
 *   checks it still owns it: two nodes never both run one rollout); every node's replica holds
 *   them all, so any node answers status, list and history, and undo;
 * - steering (pause, resume, promote, abort) sent to a node that does not run the rollout goes to
 *   the owner (request `rollout.steer`); its events reach every node's subscribers (subject
 *   `<name>.rollout.<b64 realm>`);
 * - a rollout whose owner is down (membership) or handed it over (it stopped cleanly) is taken
 *   over by the live node with the lowest name (compare-and-set of the owner: one wins), which
 *   runs it on from its record (the controller's `adopt`).
 */
export class ClusterRollouts implements RolloutStore, KeyHandler {
  private readonly entries = new Map<string, RolloutEntry>()
  /** This node's controller (none with the extensions off: then this node runs no rollouts). */
  private owner: RolloutOwner | undefined
  /** Writes of each URI's key, one after the other (so they land in the order the run made them). */
  private readonly chains = new Map<string, Promise<unknown>>()
  private readonly sub: Subscription
  private adoptScheduled = false

  constructor(private readonly rc: RealmCluster) {
    const realm = rc.realm.name
    rc.replica.handle(KeyPrefix.rollout, this)
    rc.requests.handle(realm, RolloutRequest.steer, (body) => this.steerHere(body as SteerBody))
    this.sub = rc.link.nc.subscribe(rc.link.subjects.rollouts(realm), {
      callback: (err, msg) => {
        if (err === null) this.received(msg.data)
      },
    })
    rc.onStart(() => {
      this.owner = rolloutOwnerOf(rc.realm)
      // Before membership has heard the others, only what nobody can be running: handed over, or this node's previous life's.
      this.adoptOrphans(true)
      return Promise.resolve()
    })
    rc.onClose(rc.membership.onNodeDown(() => this.scheduleAdopt()))
    rc.onClose(async () => {
      await this.settled()
      this.sub.unsubscribe()
    })
  }

  get node(): string {
    return this.rc.node
  }

  // ── RolloutStore ─────────────────────────────────────────────────────────────────────────

  of(uri: string): StoredRollouts | undefined {
    const e = this.entries.get(uri)
    return e === undefined ? undefined : { owner: e.owner?.node ?? null, running: e.running, history: e.history }
  }

  *all(): Iterable<StoredRollouts> {
    for (const uri of this.entries.keys()) yield this.of(uri)!
  }

  async claim(record: RolloutRecord): Promise<void> {
    await this.write(record.uri, 'start a rollout', (e) => {
      if (e?.running != null) {
        const r = e.running
        throw new RolloutRefusedError(
          `a ${r.kind} rollout of ${r.uri} started by ${r.started_by.authid} at ${r.started_at} is ${r.status} (on node ${e.owner?.node ?? '-'}): 'wampctl rollout status ${r.uri}', or 'wampctl rollout abort ${r.uri}'`,
        )
      }
      return { uri: record.uri, owner: this.me(), running: record, history: e?.history ?? [] }
    })
  }

  changed(record: RolloutRecord, event: RolloutEvent | null): void {
    if (event !== null) {
      const update: RolloutUpdate = { id: record.id, uri: record.uri, at: record.updated_at, event, rollout: record }
      this.rc.link.nc.publish(this.rc.link.subjects.rollouts(this.rc.realm.name), pack([this.node, update]))
      // Live figures only: nothing a node taking over needs.
      if (event.event === 'sample' || event.event === 'drain-progress') return
    }
    this.background(record.uri, 'record a rollout', (e) => {
      if (e === undefined) return e
      if (e.running?.id === record.id) {
        if (!this.mine(e)) {
          // Another node took it over (this one was thought dead): stop running it here.
          this.lost(record.uri, record.id, e.owner?.node ?? null)
          return e
        }
        return { ...e, running: record }
      }
      // A finished one (undo): its entry in the history.
      const i = e.history.findIndex((h) => h.id === record.id)
      if (i < 0) return e
      const history = e.history.slice()
      history[i] = record
      return { ...e, history }
    })
  }

  finished(record: RolloutRecord): void {
    this.background(record.uri, 'record the end of a rollout', (e) => {
      if (e !== undefined && e.running?.id === record.id && !this.mine(e)) return e
      const history = [record, ...(e?.history ?? []).filter((h) => h.id !== record.id)].slice(0, HISTORY_PER_URI)
      return { uri: record.uri, owner: null, running: null, history }
    })
  }

  async handOver(records: RolloutRecord[]): Promise<void> {
    await Promise.allSettled(
      records.map((record) =>
        this.background(record.uri, 'hand a rollout over', (e) => {
          if (e === undefined || e.running?.id !== record.id || !this.mine(e)) return e
          return { ...e, owner: null, from: this.node, running: record }
        }),
      ),
    )
  }

  async steer(owner: string, verb: SteerVerb, uri: string, by: string, full: boolean): Promise<RolloutRecord> {
    const running = this.entries.get(uri)?.running
    const drainMs = running?.spec.drain_timeout_ms ?? 0
    const body: SteerBody = { verb, uri, by, full }
    try {
      return await this.rc.requests.ask<RolloutRecord>(
        owner,
        this.rc.realm.name,
        RolloutRequest.steer,
        body,
        verb === 'abort' ? STEER_TIMEOUT_MS + drainMs : STEER_TIMEOUT_MS,
      )
    } catch (err) {
      if (err instanceof NodeRequestError) throw new RemoteNodeError(err.uri, `node ${owner} runs the rollout of ${uri}: ${err.message}`)
      throw err
    }
  }

  alive(node: string): boolean {
    return this.rc.membership.alive(node)
  }

  remoteWatchers(): boolean {
    return this.rc.pubsub.replica.hasRemoteSubscriber(RolloutUri.onUpdate)
  }

  // ── The replica (KeyHandler) ─────────────────────────────────────────────────────────────

  apply(key: string, value: Uint8Array | undefined): void {
    const uri = fromToken(key.slice(KeyPrefix.rollout.length + 1))
    if (value === undefined) {
      this.entries.delete(uri)
      return
    }
    const e = unpack<RolloutEntry>(value)
    this.entries.set(uri, e)
    if (e.running === null) return
    if (e.owner === null) this.scheduleAdopt()
    else if (!this.mine(e)) this.lost(uri, e.running.id, e.owner.node)
  }

  /** `owner` runs rollout `id` now: if this node still ran it (it was thought dead), it stops here. */
  private lost(uri: string, id: string, owner: string | null): void {
    if (this.owner?.lost(uri, id) === true)
      this.rc.link.log.warn('cluster: another node took this rollout over (this node was thought down): stopped running it here', {
        uri,
        id,
        owner,
      })
  }

  // ── Taking over ──────────────────────────────────────────────────────────────────────────

  /** Once this turn's changes are applied: take over the orphans this node is the one to take. */
  private scheduleAdopt(): void {
    if (this.adoptScheduled) return
    this.adoptScheduled = true
    setImmediate(() => {
      this.adoptScheduled = false
      this.adoptOrphans()
    })
  }

  /**
   * Every running rollout whose owner is down (or a previous life of its node), or which its node
   * handed over, is taken by the live node with the lowest name (the node that handed it over
   * excepted: it is leaving). The claim is a compare-and-set on what was seen: if another node (or the
   * owner, back) wrote first, nothing happens here.
   */
  private adoptOrphans(starting = false): void {
    if (this.owner === undefined || !this.rc.link.connected) return
    for (const seen of this.entries.values()) {
      if (seen.running === null || !this.orphan(seen)) continue
      if (starting && seen.owner !== null && seen.owner.node !== this.node) continue
      const from = seen.owner?.node ?? seen.from ?? null
      // A node that handed it over is leaving: not a candidate. A dead owner's new life may take it.
      const leaving = seen.owner === null ? from : null
      const candidates = this.rc.membership
        .nodes()
        .filter((v) => v.state === 'alive' && v.node !== leaving)
        .map((v) => v.node)
        .sort()
      if (candidates[0] !== this.node) continue
      const id = seen.running.id
      const why =
        seen.owner === null
          ? `node ${from ?? '?'} stopped and handed it over`
          : seen.owner.node === this.node
            ? `this node's previous life ran it`
            : `node ${seen.owner.node}, which ran it, is down`
      let taken: RolloutRecord | undefined
      this.background(seen.uri, 'take a rollout over', (e) => {
        if (e === undefined || e.running?.id !== id || !sameOwner(e.owner, seen.owner) || !this.orphan(e)) return e
        taken = e.running
        return { ...e, owner: this.me(), from: from ?? undefined }
      }).then(
        () => {
          if (taken !== undefined) {
            this.rc.link.log.info('cluster: took a rollout over', { uri: seen.uri, id, from })
            this.owner?.adopt(taken, why)
          }
        },
        () => undefined,
      )
    }
  }

  /** No live node runs it: handed over, or its owner (that life of it) is down. */
  private orphan(e: RolloutEntry): boolean {
    const o = e.owner
    if (o === null) return true
    if (o.node === this.node) return o.incarnation !== this.rc.link.incarnation
    if (!this.rc.membership.alive(o.node)) return true
    const now = this.rc.membership.incarnationOf(o.node)
    return now !== undefined && now !== o.incarnation
  }

  // ── Steering asked by another node, events from the others ──────────────────────────────

  private steerHere(body: SteerBody): Promise<RolloutRecord> {
    const verbs: SteerVerb[] = ['pause', 'resume', 'promote', 'abort']
    if (body === null || typeof body !== 'object' || !verbs.includes(body.verb) || typeof body.uri !== 'string')
      throw new InvalidArgumentError('a rollout.steer request needs a verb and a uri')
    if (this.owner === undefined) throw new RolloutRefusedError(`node ${this.node} runs no rollouts (its extensions are off)`)
    return this.owner.steerHere(body.verb, body.uri, String(body.by), body.full === true)
  }

  private received(data: Uint8Array): void {
    let from: string
    let update: RolloutUpdate
    try {
      ;[from, update] = unpack<[string, RolloutUpdate]>(data)
    } catch (err) {
      this.rc.onError(err, 'cluster: a rollout update that does not decode')
      return
    }
    if (from !== this.node) this.rc.realm.publishMeta(RolloutUri.onUpdate, [update])
  }

  // ── Writes ───────────────────────────────────────────────────────────────────────────────

  private me(): { node: string; incarnation: string } {
    return { node: this.node, incarnation: this.rc.link.incarnation }
  }

  private mine(e: RolloutEntry): boolean {
    return e.owner !== null && e.owner.node === this.node && e.owner.incarnation === this.rc.link.incarnation
  }

  /** Every write started so far has settled (a leaving node waits for its handovers). */
  private async settled(): Promise<void> {
    await Promise.allSettled([...this.chains.values()])
  }

  /** A write nobody waits for: a failure is logged (NATS away: the next write of the record carries it). */
  private background(uri: string, what: string, mutate: Mutate): Promise<unknown> {
    return this.write(uri, what, mutate).catch((err: unknown) => {
      if (err instanceof ClusterUnavailableError) this.rc.link.log.warn(`cluster: could not ${what}`, { uri, error: err.message })
      else this.rc.onError(err, `cluster: ${what} (${uri})`)
    })
  }

  /** After this URI's earlier writes: compare-and-set of its key with `mutate`, retried when another node wrote first. */
  private write(uri: string, what: string, mutate: Mutate): Promise<RolloutEntry | undefined> {
    const prev = this.chains.get(uri) ?? Promise.resolve()
    const next = prev.catch(() => undefined).then(() => this.change(rolloutKey(uri), what, mutate))
    const tail = next.catch(() => undefined)
    this.chains.set(uri, tail)
    void tail.then(() => {
      if (this.chains.get(uri) === tail) this.chains.delete(uri)
    })
    return next
  }

  private async change(key: string, what: string, mutate: Mutate): Promise<RolloutEntry | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (!this.rc.link.connected) throw new ClusterUnavailableError(`cannot ${what}: the cluster's NATS is not reachable`)
      let entry: KvEntry | null
      try {
        entry = await this.rc.kv.get(key)
      } catch (err) {
        throw new ClusterUnavailableError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
      }
      const current = entry !== null && entry.operation === 'PUT' ? unpack<RolloutEntry>(entry.value) : undefined
      const next = mutate(current)
      if (next === current || next === undefined) return current
      try {
        await this.rc.kv.put(key, pack(next), { previousSeq: entry?.revision ?? 0 })
        return next
      } catch (err) {
        if (!WRONG_LAST_SEQUENCE.has((err as { code?: number }).code ?? 0))
          throw new ClusterUnavailableError(`cannot ${what}: ${(err as Error).message}`, { cause: err })
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 + attempt * 2, 40)))
      }
    }
    throw new ClusterUnavailableError(`cannot ${what}: the record kept changing under ${MAX_ATTEMPTS} attempts`)
  }
}

function sameOwner(a: RolloutEntry['owner'], b: RolloutEntry['owner']): boolean {
  return a === null ? b === null : b !== null && a.node === b.node && a.incarnation === b.incarnation
}
