import { createInbox } from '@nats-io/transport-node'
import {
  ExtensionUri,
  type CalleeState,
  type CalleeStats,
  type DrainProgress,
  type DrainResult,
  type RegistrationSnapshot,
  type RouterSnapshot,
  type UnknownCalleeStats,
} from '../../protocol/extensions.js'
import { DrainAbandonedError, RemoteNodeError, InvalidArgumentError, NoSuchRegistrationError, NoSuchSessionError } from '../errors.js'
import { SnapshotBuilder } from '../extensions/callee-snapshot.js'
import type { CalleeControl } from '../extensions/callee-state.js'
import { drainCallees, type RunningDrain } from '../extensions/drain.js'
import type { CalleeReading } from '../extensions/rollout/analysis.js'
import type { Callee, Registration } from '../registration.js'
import { UNLIMITED } from '../registration.js'
import type { RealmCluster } from './realm-cluster.js'
import type { CalleeChange } from './registry.js'
import { NodeRequestError } from './requests.js'
import { ClusterTicks } from './stats-ticks.js'
import { pack, unpack } from './wire.js'

/** How long the answering node waits for another node's part of a snapshot before showing its callees' statistics as null. */
export const SNAPSHOT_PART_TIMEOUT_MS = 2000
/** A remote drain is answered when it ends: the drain's own timeout plus this for the round trip. */
const DRAIN_ANSWER_MARGIN_MS = 5000

/** Request kinds between nodes (NodeRequests), served by every node for its own callees. */
export const OpsRequest = {
  /** A node's part of a snapshot: its own callees' statistics. */
  snapshot: 'ops.snapshot',
  /** Drain callees of the node's own session, progress to the asker's inbox. */
  drain: 'ops.drain',
  /** The asker's caller went away: stop the drain (the callees stay cordoned). */
  abandonDrain: 'ops.drain.abandon',
  /** Answered once the asked node's replica has applied a revision of the realm's bucket (`applied`, below). */
  applied: 'ops.applied',
} as const

/** A node's part of a snapshot (msgpack on the wire). */
interface SnapshotPart {
  /** [registration, session, statistics] of the node's own callees. */
  callees: Array<[number, number, CalleeStats]>
  /** [registration, calls waiting in this node's queue] where some wait. */
  queued: Array<[number, number]>
}

/** The other nodes' parts, merged: statistics by `registration:session`, queue lengths summed by registration. */
interface Parts {
  callees: Map<string, CalleeStats>
  queued: Map<number, number>
}

/** A registration and its callees (node null: this node's own) when the snapshot was asked for. */
interface Taken {
  reg: Registration
  callees: Array<{ callee: Callee; node: string | null }>
}

interface DrainBody {
  session: number
  registrations: number[]
  timeout_ms: number
  then: DrainResult['then']
  /** The asking node's NATS inbox for the progress reports; also names the drain (to abandon it). */
  progress: string
}

/**
 * The wampctl operations extensions cluster-wide (docs/cluster.md, docs/rollout.md), on
 * `RealmCluster.ops`:
 *
 * - statistics live on the node of the callee's session (every INVOCATION to it passes there), so
 *   a snapshot asks each node that has callees for its part and merges it into the registrations
 *   of this node's replica; a node that does not answer in time has its callees shown with null
 *   statistics and is named in `missing_nodes`;
 * - state and weight (cordon, uncordon, set_weight, drain, rollouts) are written to the registry,
 *   so every node's replica applies them and publishes wampctl.callee.on_state to its own subscribers;
 * - a drain runs on the callee's node, the one that sees all of its calls in flight.
 */
export class ClusterOps implements CalleeControl {
  /** Drains this node runs for other nodes, by their progress inbox: how to abandon each. */
  private readonly drains = new Map<string, () => void>()
  /** The last registry write of each registration this node made, to chain the next after it. */
  private readonly writes = new Map<number, Promise<void>>()
  /** The bucket's revision of the last of those writes that went through, by registration. */
  private readonly revisions = new Map<number, number>()
  /** wampctl.stats.on_tick for the whole realm: each node's part to the others, merged for local subscribers. */
  readonly ticks: ClusterTicks

  constructor(
    private readonly rc: RealmCluster,
    private readonly onError: (err: unknown, context: string) => void,
  ) {
    const realm = rc.realm.name
    this.ticks = new ClusterTicks(rc.link, realm)
    rc.onClose(() => this.ticks.close())
    rc.requests.handle(realm, OpsRequest.snapshot, (body) => this.part(body as { registration?: number }))
    rc.requests.handle(realm, OpsRequest.drain, (body) => this.drainHere(body as DrainBody))
    rc.requests.handle(realm, OpsRequest.abandonDrain, (body) => void this.drains.get((body as { progress?: string }).progress ?? '')?.())
    rc.requests.handle(realm, OpsRequest.applied, async (body) => {
      const revision = (body as { revision?: unknown }).revision
      if (typeof revision !== 'number') throw new InvalidArgumentError('ops.applied needs a revision')
      await rc.replica.applied(revision)
      return true
    })
  }

  private get dealer() {
    return this.rc.realm.dealer
  }

  /** Another node has a subscriber to wampctl.stats.on_tick: this node's ticks go to the others. */
  ticksWanted(): boolean {
    return this.rc.pubsub.replica.hasRemoteSubscriber(ExtensionUri.onTick)
  }

  /** The node `callee`'s session lives on. */
  nodeOf(callee: Callee): string {
    return this.rc.remoteSessions.nodeOf(callee.session) ?? this.rc.node
  }

  isLocal(callee: Callee): boolean {
    return this.rc.remoteSessions.nodeOf(callee.session) === undefined
  }

  // ── State and weight ─────────────────────────────────────────────────────────────────────

  /**
   * Change a callee's state or weight on every node and resolve once this node's replica has
   * applied it (the procedures answer then). The replica publishes on_state here, as everywhere.
   */
  async update(callee: Callee, change: CalleeChange): Promise<void> {
    const written = await this.rc.registry.updateCallee(callee.registration.id, callee.session.id, change)
    if (written !== undefined) await this.rc.replica.applied(written.revision)
  }

  /**
   * CalleeControl for drains and rollouts, which decide synchronously: the change takes effect on
   * this node at once (its on_state published here now), and is written to the registry for the
   * others; this node's replica then finds it already applied and publishes nothing twice.
   */
  setCalleeState(callee: Callee, state: CalleeState, cause: string): void {
    this.dealer.setCalleeState(callee, state, cause)
    this.write(callee, { state, cause })
  }

  setCalleeWeight(callee: Callee, weight: number): void {
    this.dealer.setCalleeWeight(callee, weight)
    this.write(callee, { weight, cause: 'set_weight' })
  }

  /**
   * A registration's changes land in the order they were made (one record holds all its
   * callees): a drain that ends at once writes `draining` then `cordoned`, and a rollback puts
   * the old callees' weights back before the canary's goes to 0 — compare-and-sets racing could
   * leave `draining` last, or every callee at weight 0 for a moment on the other nodes.
   */
  private write(callee: Callee, change: CalleeChange): void {
    const key = callee.registration.id
    const prev = this.writes.get(key) ?? Promise.resolve()
    const next = prev
      .then(() => this.rc.registry.updateCallee(callee.registration.id, callee.session.id, change))
      .then(
        (written) => {
          if (written !== undefined) this.revisions.set(key, written.revision)
        },
        (err: unknown) => this.onError(err, `cluster: writing callee ${callee.session.id} of registration ${callee.registration.id}`),
      )
    this.writes.set(key, next)
    void next.then(() => {
      if (this.writes.get(key) === next) this.writes.delete(key)
    })
  }

  /**
   * Resolves once every live node's replica has applied this node's changes of `reg` so far (each
   * node bounded: one that does not answer in time is not waited for). A rollback restores the
   * old callees' weights, waits for this, then takes the canary out: a node that applied the
   * canary's weight 0 (its own node applies it at once) is never ahead of the others, which
   * would still route to it alone with the old callees at their step weights of 0.
   */
  async everywhere(reg: Registration): Promise<void> {
    await this.writes.get(reg.id)
    const revision = this.revisions.get(reg.id)
    if (revision === undefined) return
    await this.rc.replica.applied(revision)
    const others = this.rc.membership
      .nodes()
      .filter((v) => v.state === 'alive' && !v.self)
      .map((v) => v.node)
    await Promise.all(
      others.map((node) =>
        this.rc.requests.ask(node, this.rc.realm.name, OpsRequest.applied, { revision }, SNAPSHOT_PART_TIMEOUT_MS).catch(() => undefined),
      ),
    )
  }

  /** Revoke this node's callees (after a drain) and remove them from the registry; resolves once this node's replica has applied it. */
  async unregister(callees: Callee[], reason: string): Promise<void> {
    for (const c of callees) await this.rc.registrations.removeCallee(c.registration, c.session.id, reason)
  }

  // ── Snapshot and describe ────────────────────────────────────────────────────────────────

  async snapshot(): Promise<RouterSnapshot> {
    const taken = [...this.dealer.byId.values()].map((r) => this.take(r))
    const { parts, missing } = await this.gather(taken, undefined)
    const builder = new SnapshotBuilder()
    const snap: RouterSnapshot = {
      at: new Date().toISOString(),
      realm: this.rc.realm.name,
      registrations: taken.map((t) => this.merge(t, parts, builder)),
    }
    if (missing.length > 0) snap.missing_nodes = missing
    return snap
  }

  async describe(id: number): Promise<RegistrationSnapshot & { missing_nodes?: string[] }> {
    const reg = this.dealer.byId.get(id)
    if (reg === undefined) throw new NoSuchRegistrationError(id)
    const taken = this.take(reg)
    const { parts, missing } = await this.gather([taken], id)
    const snap: RegistrationSnapshot & { missing_nodes?: string[] } = this.merge(taken, parts, new SnapshotBuilder())
    if (missing.length > 0) snap.missing_nodes = missing
    return snap
  }

  /**
   * Each callee's calls, errors, in flight and p99 now, from its own node (a rollout's checks);
   * null for a callee whose node did not answer in time. The registration gone: its callees as this node has them.
   */
  async readings(reg: Registration): Promise<Map<number, CalleeReading | null>> {
    const taken = this.take(reg)
    const { parts } = await this.gather([taken], reg.id)
    const out = new Map<number, CalleeReading | null>()
    for (const { callee: c, node } of taken.callees) {
      if (node === null) {
        out.set(c.session.id, { calls: c.stats.calls, errors: c.stats.errors, inflight: c.inflight, p99_ms: c.stats.percentileMs(0.99) })
        continue
      }
      const s = parts.callees.get(`${reg.id}:${c.session.id}`)
      out.set(c.session.id, s === undefined ? null : { calls: s.calls, errors: s.errors, inflight: s.inflight, p99_ms: s.p99_ms })
    }
    return out
  }

  /**
   * A registration's callees and their nodes as they are when asked: the answer lists them so,
   * even if a node's callees leave (it is declared down) while its part is awaited.
   */
  private take(reg: Registration): Taken {
    return { reg, callees: reg.callees.map((c) => ({ callee: c, node: this.rc.remoteSessions.nodeOf(c.session) ?? null })) }
  }

  /** Ask every other node that has callees among `taken` for its part, in parallel, each bounded. */
  private async gather(taken: Taken[], registration: number | undefined): Promise<{ parts: Parts; missing: string[] }> {
    const nodes = new Set<string>()
    for (const t of taken) for (const c of t.callees) if (c.node !== null) nodes.add(c.node)
    const parts: Parts = { callees: new Map(), queued: new Map() }
    const missing: string[] = []
    const body = registration === undefined ? {} : { registration }
    await Promise.all(
      [...nodes].map(async (node) => {
        let part: SnapshotPart
        try {
          part = await this.rc.requests.ask<SnapshotPart>(node, this.rc.realm.name, OpsRequest.snapshot, body, SNAPSHOT_PART_TIMEOUT_MS)
        } catch (err) {
          if (!(err instanceof NodeRequestError)) throw err
          missing.push(node)
          return
        }
        for (const [r, s, stats] of part.callees) parts.callees.set(`${r}:${s}`, stats)
        for (const [r, n] of part.queued) parts.queued.set(r, (parts.queued.get(r) ?? 0) + n)
      }),
    )
    return { parts, missing: missing.sort() }
  }

  /** A registration of this node's replica with every callee's statistics from its own node. */
  private merge({ reg, callees }: Taken, parts: Parts, builder: SnapshotBuilder): RegistrationSnapshot {
    const merged = callees.map(({ callee: c, node }): CalleeStats => {
      if (node === null) return { ...builder.callee(c), node: this.rc.node }
      const stats = parts.callees.get(`${reg.id}:${c.session.id}`)
      // What the replica knows (state, weight); statistics only from the callee's own node.
      return stats !== undefined ? { ...stats, state: c.state, weight: c.weight, node } : (unknownStats(c, node) as unknown as CalleeStats)
    })
    return { ...reg.details(), queued: reg.queued + (parts.queued.get(reg.id) ?? 0), callees: merged }
  }

  /** This node's part: the statistics of its own callees (of one registration, or all). */
  private part(body: { registration?: number }): SnapshotPart {
    const regs =
      typeof body?.registration === 'number'
        ? [this.dealer.byId.get(body.registration)].filter((r) => r !== undefined)
        : this.dealer.byId.values()
    const builder = new SnapshotBuilder()
    const part: SnapshotPart = { callees: [], queued: [] }
    for (const reg of regs) {
      if (reg.queued > 0) part.queued.push([reg.id, reg.queued])
      for (const c of reg.callees) if (this.isLocal(c)) part.callees.push([reg.id, c.session.id, builder.callee(c)])
    }
    return part
  }

  // ── Drain ────────────────────────────────────────────────────────────────────────────────

  /**
   * Drain callees of a session of another node: its node runs the drain (it alone sees all their
   * calls in flight) and answers when it ends. Its progress reports come as they happen, on a
   * NATS inbox of this node's; abandoning it here (the caller went away) abandons it there too
   * (the callees stay cordoned, as on one router).
   */
  drainRemote(
    callees: Callee[],
    options: { timeoutMs: number; then: DrainResult['then'] },
    onProgress: (p: DrainProgress) => void,
  ): RunningDrain {
    const node = this.nodeOf(callees[0]!)
    const nc = this.rc.link.nc
    const body: DrainBody = {
      session: callees[0]!.session.id,
      registrations: callees.map((c) => c.registration.id),
      timeout_ms: options.timeoutMs,
      then: options.then,
      progress: createInbox(),
    }
    let settled = false
    const sub = nc.subscribe(body.progress, {
      callback: (err, msg) => {
        if (err === null && !settled) onProgress(unpack<DrainProgress>(msg.data))
      },
    })
    const done = this.rc.requests
      .ask<DrainResult>(node, this.rc.realm.name, OpsRequest.drain, body, options.timeoutMs + DRAIN_ANSWER_MARGIN_MS)
      .catch((err: unknown) => {
        if (err instanceof NodeRequestError) throw new RemoteNodeError(err.uri, `drain on node ${node}: ${err.message}`)
        throw err
      })
      .finally(() => {
        settled = true
        sub.unsubscribe()
      })
    const abandon = (): void => {
      if (settled) return
      settled = true
      sub.unsubscribe()
      this.rc.requests
        .ask(node, this.rc.realm.name, OpsRequest.abandonDrain, { progress: body.progress })
        .catch((err: unknown) => this.onError(err, `cluster: abandoning the drain of session ${body.session} on node ${node}`))
    }
    return { done, abandon }
  }

  /** Another node asks this one to drain callees of one of its own sessions; progress goes to its inbox. */
  private async drainHere(body: DrainBody): Promise<DrainResult> {
    const session = this.rc.realm.sessions.get(body.session)
    if (session === undefined) throw new NoSuchSessionError(body.session)
    if (!Array.isArray(body.registrations) || typeof body.timeout_ms !== 'number' || typeof body.progress !== 'string')
      throw new InvalidArgumentError('a drain needs registrations, timeout_ms and a progress subject')
    const callees = [...session.callees].filter((c) => body.registrations.includes(c.registration.id))
    if (callees.length === 0) throw new NoSuchRegistrationError(body.registrations[0])
    const nc = this.rc.link.nc
    const running = drainCallees(this.rc.realm, callees, { timeoutMs: body.timeout_ms, then: body.then }, (p) =>
      nc.publish(body.progress, pack(p)),
    )
    // Abandoned (the asking node's caller went away): the callees stay cordoned, the request is answered canceled.
    const abandoned = new Promise<never>((_, reject) => {
      this.drains.set(body.progress, () => {
        running.abandon()
        reject(new DrainAbandonedError(body.session))
      })
    })
    try {
      return await Promise.race([running.done, abandoned])
    } finally {
      this.drains.delete(body.progress)
    }
  }
}

/** A callee of a node that did not answer: what this node's replica knows, statistics null. */
function unknownStats(c: Callee, node: string): UnknownCalleeStats {
  return {
    session: c.session.id,
    node,
    authid: c.session.authid,
    authrole: c.session.authrole,
    state: c.state,
    weight: c.weight,
    concurrency: c.concurrency === UNLIMITED ? null : c.concurrency,
    calls: null,
    errors: null,
    inflight: null,
    p50_ms: null,
    p99_ms: null,
    last_call_at: null,
    registered_at: c.registeredAtIso,
    recent: null,
  }
}
