import type { CalleeState } from '../../protocol/extensions.js'
import { MessageCode } from '../../protocol/message-codes.js'
import { ErrorUri } from '../../protocol/error-uris.js'
import { NoSuchRegistrationError, NoSuchSessionError, RemoteNodeError, RouterError } from '../errors.js'
import type { Realm } from '../realm.js'
import { UNLIMITED, type Callee, type Registration } from '../registration.js'
import type { Session } from '../session.js'
import { registrationKey } from './keys.js'
import type { ClusterLink } from './link.js'
import type { CalleeRecord } from './records.js'
import { RegistrationsReplica, type LocalCallee, type LocalCallees, type RegisterRequest } from './registrations-replica.js'
import { isNodeCallee, type NodeCallees, type Registry } from './registry.js'
import type { RealmReplica } from './replica.js'
import type { RemoteSessions } from './remote-session.js'
import { NodeRequestError, type NodeRequests } from './requests.js'
import { ClusterWriteError, withRetries } from './write-retry.js'

/** Longest a REGISTER/UNREGISTER waits for this node's replica to apply its write. */
const APPLIED_WAIT_MS = 5000

/** NodeRequests kind: remove a callee of the node asked (wamp.registration.remove_callee from another node). */
export const REMOVE_CALLEE_REQUEST = 'remove_callee'

interface RemoveCalleeBody {
  registration: number
  session: number
  reason: string
}

/**
 * This node's side of the realm's registrations in a cluster: REGISTER and UNREGISTER of its
 * sessions go through the registry (a compare-and-set, then the answer once this node's replica
 * applied it), its sessions' departures remove their callees, and what this node's sessions want
 * is re-asserted when the registry lost it (NATS away long enough for this node to be thought dead).
 * One session's REGISTER/UNREGISTERs are handled one after the other, in the order they came.
 */
export class ClusterRegistrations implements LocalCallees {
  readonly replica: RegistrationsReplica
  /** What this node's sessions registered (or are registering), by key then session id. */
  private readonly wants = new Map<string, Map<number, LocalCallee>>()
  /** The keys of `wants` by session id: a departure costs what the session registered. */
  private readonly keysOf = new Map<number, Set<string>>()
  /** Each session's REGISTER/UNREGISTER in progress (a chain: answered in order). */
  private readonly chains = new Map<Session, Promise<void>>()
  /** Writes not awaited by anyone (departures, cleanups): the node waits for them when it leaves. */
  private readonly background = new Set<Promise<unknown>>()
  /** Keys of callees being cleaned up or re-asserted now (not twice at once). */
  private readonly repairing = new Set<string>()
  /** Repairs asked for while one of the same callee was in flight: done again once it ends (it may have been undone meanwhile). */
  private readonly repairAgain = new Set<string>()

  constructor(
    private readonly realm: Realm,
    private readonly link: ClusterLink,
    private readonly registry: Registry,
    private readonly replicaOfBucket: RealmReplica,
    private readonly requests: NodeRequests,
    private readonly remoteSessions: RemoteSessions,
    private readonly log: { warn(message: string, fields?: Record<string, unknown>): void },
    private readonly onError: (err: unknown, context: string) => void,
    /** Re-assert everything this node has (Membership.rejoin): sessions, subscribers, then callees. */
    private readonly rejoin: () => void,
  ) {
    this.replica = new RegistrationsReplica(realm, link.node, remoteSessions, this)
    replicaOfBucket.handle('reg', this.replica)
    requests.handle(realm.name, REMOVE_CALLEE_REQUEST, (body) => this.removeOwnCallee(body as RemoveCalleeBody))
    realm.onLeave((session) => this.left(session))
  }

  // ── REGISTER / UNREGISTER ──────────────────────────────────────────────────────────────

  register(session: Session, request: number, r: RegisterRequest): void {
    this.inOrder(session, async () => {
      const key = registrationKey(r.procedure, r.match)
      const mine = this.wanted(key, session.id)
      const want: LocalCallee = { ...r, session }
      if (mine === undefined) this.want(key, want)
      try {
        const written = await this.registry.register(
          r.procedure,
          r.match,
          r.invoke,
          this.calleeRecord(session, r.weight, r.concurrency, r.deadlineMs),
        )
        await this.seen(written.revision)
        if (session.closed) return this.cleanUp(key, session.id) // it left meanwhile: its departure may have run before this write
        want.registration = { id: written.record.id, created: written.record.created }
        session.send([MessageCode.REGISTERED, request, written.record.id])
      } catch (err) {
        if (mine === undefined && this.wanted(key, session.id) === want) this.unwant(key, session.id)
        this.refuse(session, MessageCode.REGISTER, request, err)
      }
    })
  }

  unregister(session: Session, request: number, callee: Callee): void {
    this.inOrder(session, async () => {
      const reg = callee.registration
      const key = registrationKey(reg.uri, reg.match)
      this.unwant(key, session.id)
      try {
        const written = await this.registry.removeCallee(key, session.id)
        if (written !== undefined) await this.seen(written.revision)
      } catch (err) {
        // It leaves here anyway (no more calls through this node); the record is repaired when NATS is back.
        this.warn(`unregister of '${reg.uri}' not written to the cluster: ${(err as Error).message}`)
      }
      if (callee.attached) this.realm.dealer.removeCallee(callee)
      session.send([MessageCode.UNREGISTERED, request])
    })
  }

  /**
   * wamp.registration.remove_callee: a callee of this node is revoked here (UNREGISTERED with
   * `reason` to its session) and removed from the registry; one of another node is removed by that node.
   */
  async removeCallee(reg: Registration, sessionId: number, reason: string): Promise<void> {
    const key = this.replica.keyOf(reg.id)
    const c = key === undefined ? undefined : this.replica.record(key)?.callees.find((x) => x.session === sessionId)
    if (key === undefined || c === undefined) throw new NoSuchSessionError(sessionId)
    if (c.node === this.link.node) {
      await this.revoke(key, sessionId, reason)
      return
    }
    let answer: { revision: number }
    try {
      answer = await this.requests.ask<{ revision: number }>(c.node, this.realm.name, REMOVE_CALLEE_REQUEST, {
        registration: reg.id,
        session: sessionId,
        reason,
      } satisfies RemoveCalleeBody)
    } catch (err) {
      if (err instanceof NodeRequestError) throw new RemoteNodeError(err.uri, err.message)
      throw err
    }
    await this.seen(answer.revision)
  }

  private async removeOwnCallee(body: RemoveCalleeBody): Promise<{ revision: number }> {
    const key = this.replica.keyOf(body.registration)
    if (key === undefined) throw new NoSuchRegistrationError(body.registration)
    return this.revoke(key, body.session, body.reason)
  }

  private async revoke(key: string, sessionId: number, reason: string): Promise<{ revision: number }> {
    this.unwant(key, sessionId)
    const callee = this.replica.callee(key, sessionId)
    if (callee?.attached === true) this.realm.dealer.removeCallee(callee, reason)
    const written = await this.registry.removeCallee(key, sessionId)
    if (written !== undefined) await this.seen(written.revision)
    return { revision: written?.revision ?? this.replicaOfBucket.revision }
  }

  // ── Departures, cleanups, re-assertion ─────────────────────────────────────────────────

  /** One of this node's sessions left: its callees left the dealer already; now the registry. */
  private left(session: Session): void {
    const keys = this.keysOf.get(session.id)
    if (keys === undefined) return
    for (const key of [...keys]) {
      this.unwant(key, session.id)
      this.cleanUp(key, session.id)
    }
  }

  stale(key: string, callee: CalleeRecord): void {
    this.cleanUp(key, callee.session)
  }

  lost(_key: string, callee: CalleeRecord): void {
    if (!this.link.connected) return // re-asserted with everything else when NATS is back (rejoined)
    this.warn(`the callee of live session ${callee.session} was removed by another node; re-asserting this node`)
    // The whole re-assertion, in order: its session's key may be gone too, and goes back first (on_join before on_register).
    this.rejoin()
  }

  /** Remove `session`'s callee at `key` from the registry, in the background. */
  private cleanUp(key: string, session: number): void {
    const id = `${key}\u0000${session}`
    if (this.repairing.has(id) || !this.link.connected) return
    this.repairing.add(id)
    this.inBackground(
      withRetries(this.link, `removing the callee of session ${session} from ${key}`, () =>
        this.registry.removeCallee(key, session),
      ).finally(() => this.repairing.delete(id)),
      `removing a callee of '${key}'`,
    )
  }

  /** Put back this node's callee at `key` if the registry lost it (or never got it) while its session still wants it. */
  private reassert(key: string, session: number): void {
    const id = `${key}\u0000${session}`
    const want = this.wanted(key, session)
    if (want === undefined || want.session.closed) return
    if (this.repairing.has(id)) {
      // A cleanup by a node that took this one for dead may land after the write in flight.
      this.repairAgain.add(id)
      return
    }
    // Its callee here, if the record still had it: it comes back as it is now (weight, cordon).
    const callee = this.replica.callee(key, session)
    const live = callee?.attached === true ? callee : undefined
    const record = this.calleeRecord(want.session, live?.weight ?? want.weight, want.concurrency, want.deadlineMs, live?.state)
    this.repairing.add(id)
    const write = withRetries(this.link, `registering the callee of session ${session} for '${want.procedure}' again`, () =>
      this.registry.ensureCallee(want.procedure, want.match, want.invoke, record, want.registration),
    )
      // Applied here before it ends, so that a removal seen after it is seen as undoing it.
      .then((written) => (written === undefined ? undefined : this.replicaOfBucket.applied(written.revision)))
      .catch((err: unknown) => {
        if (!(err instanceof RouterError) || err.uri !== ErrorUri.procedureAlreadyExists) throw err
        // Another registration took its place while this node was away: the callee is revoked.
        this.unwant(key, session)
        if (live !== undefined) this.realm.dealer.removeCallee(live, ErrorUri.canceled)
        else if (want.registration !== undefined && want.session.features.calleeRevocation)
          want.session.send([MessageCode.UNREGISTERED, 0, { registration: want.registration.id, reason: ErrorUri.canceled }])
        this.warn(`the callee of session ${session} for '${want.procedure}' could not be registered again: ${err.message}`)
      })
      .finally(() => {
        this.repairing.delete(id)
        if (this.repairAgain.delete(id) && this.replica.record(key)?.callees.some((c) => c.session === session) !== true)
          this.reassert(key, session)
      })
    this.inBackground(write, `registering a callee of '${want.procedure}' again`)
  }

  /**
   * NATS is back after a while away: the registry may have lost or dropped this node's callees
   * (another node thought it dead), or still hold ones whose sessions left meanwhile. Once the
   * replica has caught up, both are repaired.
   */
  async rejoined(): Promise<void> {
    await this.replicaOfBucket.catchUp(this.link.node, this.link.incarnation)
    for (const [key, bySession] of this.wants) for (const session of bySession.keys()) this.reassert(key, session)
    for (const [key, rec] of this.replica.records())
      for (const c of rec.callees) if (c.node === this.link.node && this.wanted(key, c.session) === undefined) this.cleanUp(key, c.session)
  }

  /**
   * `node` is down (its life `incarnation`, or every life when undefined): the proxies of its
   * callees are detached here at once (callers of their calls in flight get canceled), and its
   * callees are removed from the registry (every survivor does this; compare-and-set makes it once).
   */
  nodeDown(node: string, incarnation?: string, stillDown?: () => boolean): Promise<void> {
    const which = incarnation === undefined ? {} : { incarnation }
    const keys = this.keysNaming(node, which)
    for (const key of keys)
      for (const c of this.replica.record(key)!.callees) if (isNodeCallee(c, node, which)) this.remoteSessions.drop(c.session)
    return this.inBackground(this.registry.removeNode(node, which, keys, stillDown), `removing node ${node}'s callees`)
  }

  /** At start, before serving (the replica has caught up): callees of this node's earlier lives leave the registry. */
  removeEarlierLives(): Promise<void> {
    const which = { sparing: this.link.incarnation }
    return this.registry.removeNode(this.link.node, which, this.keysNaming(this.link.node, which))
  }

  /** Every background write started so far (departures, cleanups) has settled (a leaving session's key waits for them). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.background])
  }

  /** Leaving the cluster (sessions gone): their removals are written, and anything of this life left over. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.background])
    const which = { incarnation: this.link.incarnation }
    const keys = this.keysNaming(this.link.node, which)
    if (this.link.connected && keys.length > 0) await this.registry.removeNode(this.link.node, which, keys).catch(() => undefined)
  }

  /** Keys whose record (as applied here) names callees of `node` (`which` of its lives). */
  private keysNaming(node: string, which: NodeCallees): string[] {
    const keys: string[] = []
    for (const [key, rec] of this.replica.records()) if (rec.callees.some((c) => isNodeCallee(c, node, which))) keys.push(key)
    return keys
  }

  // ── LocalCallees ───────────────────────────────────────────────────────────────────────

  wanted(key: string, session: number): LocalCallee | undefined {
    return this.wants.get(key)?.get(session)
  }

  private want(key: string, w: LocalCallee): void {
    let bySession = this.wants.get(key)
    if (bySession === undefined) this.wants.set(key, (bySession = new Map()))
    bySession.set(w.session.id, w)
    let keys = this.keysOf.get(w.session.id)
    if (keys === undefined) this.keysOf.set(w.session.id, (keys = new Set()))
    keys.add(key)
  }

  private unwant(key: string, session: number): void {
    const bySession = this.wants.get(key)
    if (bySession === undefined) return
    bySession.delete(session)
    if (bySession.size === 0) this.wants.delete(key)
    const keys = this.keysOf.get(session)
    keys?.delete(key)
    if (keys?.size === 0) this.keysOf.delete(session)
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────

  private calleeRecord(
    session: Session,
    weight: number,
    concurrency: number,
    deadlineMs: number,
    state: CalleeState = 'active',
  ): CalleeRecord {
    const record: CalleeRecord = {
      node: this.link.node,
      session: session.id,
      authid: session.authid,
      authrole: session.authrole,
      state,
      weight,
      concurrency: concurrency === UNLIMITED ? null : concurrency,
      incarnation: this.link.incarnation,
    }
    if (deadlineMs > 0) record.deadlineMs = deadlineMs
    return record
  }

  private inOrder(session: Session, op: () => Promise<void>): void {
    const prev = this.chains.get(session)
    const next = (prev === undefined ? op() : prev.then(op)).catch((err: unknown) => this.onError(err, 'cluster registration'))
    this.chains.set(session, next)
    void next.finally(() => {
      if (this.chains.get(session) === next) this.chains.delete(session)
    })
  }

  /**
   * Resolves once this node's replica applied the write at `revision`, or after APPLIED_WAIT_MS at
   * most: the write is made, so the answer goes out even when the watch is held up (NATS went away
   * right after it); the replica applies it when the watch resumes.
   */
  private async seen(revision: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.warn(`the replica has not seen revision ${revision} after ${APPLIED_WAIT_MS} ms; answering anyway`)
        resolve()
      }, APPLIED_WAIT_MS)
    })
    await Promise.race([this.replicaOfBucket.applied(revision), late])
    clearTimeout(timer)
  }

  /** Tracked until done (the node waits for these when it leaves); failures are logged. */
  private inBackground(p: Promise<unknown>, what: string): Promise<void> {
    const tracked = p.then(
      () => undefined,
      // A ClusterWriteError was logged where it gave up (or NATS is away: the rejoin repairs it).
      (err: unknown) => void (err instanceof ClusterWriteError || this.warn(`${what}: ${(err as Error).message}`)),
    )
    this.background.add(tracked)
    void tracked.finally(() => this.background.delete(tracked))
    return tracked
  }

  private refuse(session: Session, type: number, request: number, err: unknown): void {
    if (!(err instanceof RouterError)) this.onError(err, 'cluster registration')
    const uri = err instanceof RouterError ? err.uri : ErrorUri.internal
    const message: unknown[] = [MessageCode.ERROR, type, request, {}, uri, [(err as Error).message]]
    if (err instanceof RouterError && err.kwargs !== undefined) message.push(err.kwargs)
    session.send(message)
  }

  private warn(message: string): void {
    this.log.warn(`cluster: ${message}`, { node: this.link.node, realm: this.realm.name })
  }
}
