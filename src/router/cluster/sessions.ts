import { ErrorUri } from '../../protocol/error-uris.js'
import type { Dict } from '../inbound.js'
import { NoSuchSessionError, RemoteNodeError } from '../errors.js'
import { killSession, localVictims, type SessionSelector } from '../meta/session-kill.js'
import type { Session } from '../session.js'
import { KeyPrefix, sessionKey } from './keys.js'
import type { RealmCluster } from './realm-cluster.js'
import type { SessionRecord } from './records.js'
import { NodeRequestError } from './requests.js'
import { SessionsReplica, type RemoteSessionEntry } from './sessions-replica.js'
import { pack } from './wire.js'
import { ClusterWriteError, withRetries } from './write-retry.js'

/** The kind of NodeRequests that closes sessions on their node. */
export const KILL_REQUEST = 'kill'

/** Body of a `kill` request: the node closes its own sessions that `select` names; answers their ids. */
export interface KillRequest {
  select: SessionSelector
  /** The caller of wamp.session.kill_*: never one of the victims. */
  except?: number
  reason: string
  message?: string
  /** kill_all: the sessions leave without meta events. */
  quiet: boolean
}

/** JetStream's "wrong last sequence": a compare-and-set lost (someone else changed or removed the key first). */
const WRONG_LAST_SEQUENCE = 10071

/**
 * The realm's sessions across the cluster (`realm.cluster.sessions`): this node's sessions are
 * written to `ses.<id>` as they join and leave (asynchronously: WELCOME and the session's traffic
 * never wait on NATS), the other nodes' come from the replica; wamp.session.* asks the owner node
 * to close a remote session.
 */
export class ClusterSessions {
  /** The other nodes' sessions (and this node's keys), from the realm's bucket. */
  readonly replica: SessionsReplica
  /** The KV write of each session in progress, chained: a leave's delete runs after its join's put. */
  private readonly writes = new Map<number, Promise<void>>()

  constructor(private readonly rc: RealmCluster) {
    // A remote session's key is gone: its proxy goes too (its callees and subscriptions here, its calls in flight canceled).
    this.replica = new SessionsReplica(
      rc.realm,
      rc.node,
      (id) => rc.remoteSessions.drop(id),
      (id) => rc.registrations.replica.revive(id),
      (id) => this.ownKeyGone(id),
    )
    rc.replica.handle(KeyPrefix.session, this.replica)
    rc.requests.handle(rc.realm.name, KILL_REQUEST, (body) => this.serveKill(body as KillRequest))
    // Cut off from the others (NATS away, or declared down by another node): say again what this node has.
    const offRejoin = rc.onRejoin(() => this.reassert())
    rc.onClose(async () => {
      offRejoin()
      // The sessions have left (a SIGTERM): their keys go before the connection closes.
      await Promise.all([...this.writes.values()])
    })
  }

  get node(): string {
    return this.rc.node
  }

  /** A local session's details as wamp.session.get returns them in a cluster: with its node. */
  details(session: Session): Dict {
    return { ...session.details(), node: this.rc.node }
  }

  /** Which node `id` is connected to; undefined when no node has it (as far as this node knows). */
  nodeOf(id: number): string | undefined {
    if (this.rc.realm.sessions.has(id)) return this.rc.node
    return this.replica.get(id)?.node
  }

  /** Ids of every session of the realm on every node, those of `authroles` only when given. */
  ids(authroles?: string[]): number[] {
    const out: number[] = []
    for (const s of this.rc.realm.sessions.values()) if (authroles === undefined || authroles.includes(s.authrole)) out.push(s.id)
    for (const r of this.replica.all()) if (authroles === undefined || authroles.includes(r.details.authrole as string)) out.push(r.id)
    return out
  }

  /** wamp.session.get of any session of the realm; undefined when unknown. */
  get(id: number): Dict | undefined {
    const local = this.rc.realm.sessions.get(id)
    if (local !== undefined) return this.details(local)
    return this.replica.get(id)?.details
  }

  /** A local session joined (realm.join): its key is written, in the background. */
  joined(session: Session): void {
    const record = this.record(session)
    this.write(session.id, () => this.rc.kv.put(sessionKey(session.id), pack(record)))
  }

  /** A local session left (realm.leave): its key goes, after its join's write if that is still in flight. */
  left(session: Session, quiet: boolean): void {
    const key = sessionKey(session.id)
    const quietRecord = quiet ? { ...this.record(session), quiet: true } : undefined
    // Its callees' and subscribers' departures, written before: every node derives their meta events before on_leave (spec order).
    const departures = Promise.allSettled([this.rc.registrations.settled(), this.rc.pubsub.settled()])
    this.write(session.id, async () => {
      await departures
      // Marked first, so that no node derives on_leave from the deletion (kill_all publishes no meta events).
      if (quietRecord !== undefined) await this.rc.kv.put(key, pack(quietRecord))
      await this.rc.kv.delete(key)
    })
  }

  /**
   * A key of this node was deleted. When its session is still here, another node took this one
   * for dead and removed it (possibly after this node had put it back): this node re-asserts its
   * entries at once (sessions first, so every node sees on_join before on_register/on_subscribe),
   * whichever write came last. A session that left has left `realm.sessions` before its delete.
   */
  private ownKeyGone(id: number): void {
    const session = this.rc.realm.sessions.get(id)
    if (session === undefined || session.closed || !this.rc.link.connected) return
    this.rc.link.log.warn('cluster: a live session was removed from the cluster by another node; re-asserting this node', {
      node: this.rc.node,
      realm: this.rc.realm.name,
      session: id,
    })
    this.rc.membership.rejoin()
  }

  /**
   * Make the bucket say what this node has: its live sessions' keys written, any other key with
   * its name (a previous life's, or a leave whose delete NATS never got) removed. Run at start and
   * after NATS comes back; resolves once done.
   */
  async reassert(): Promise<void> {
    const live = this.rc.realm.sessions
    const done: Array<Promise<void>> = []
    for (const s of live.values()) {
      const record = this.record(s)
      done.push(this.write(s.id, () => this.rc.kv.put(sessionKey(s.id), pack(record))))
    }
    for (const [id, revision] of this.replica.ownKeys()) {
      if (!live.has(id)) done.push(this.write(id, () => this.deleteIfUnchanged(sessionKey(id), revision)))
    }
    await Promise.all(done)
  }

  /**
   * The keys of `node`'s sessions (of its life `incarnation`) as this node sees them now, with
   * their revisions. When `node` is down every survivor takes these at once and deletes them
   * (remove), each by compare-and-set on the revision it saw: one delete wins and the rest change
   * nothing (a restarted node's new sessions, and keys a held-up node put back, are never touched).
   */
  entriesOf(node: string, incarnation?: string): RemoteSessionEntry[] {
    return this.replica.ofNode(node).filter((e) => incarnation === undefined || e.incarnation === incarnation)
  }

  /**
   * Delete these keys, each only if unchanged since it was seen: a key its node put back since
   * (it was held up, not dead) stays, whatever the order of the writes.
   */
  async remove(entries: RemoteSessionEntry[]): Promise<void> {
    await Promise.all(entries.map((e) => this.deleteIfUnchanged(sessionKey(e.id), e.revision)))
  }

  /**
   * Close the sessions `select` names on the other nodes (the caller `except` excluded); resolves
   * with their ids. By id: the owner node is asked, no_such_session when no node has it.
   */
  async killElsewhere(
    select: SessionSelector,
    except: number,
    reason: string,
    message: string | undefined,
    quiet: boolean,
  ): Promise<number[]> {
    const request: KillRequest = { select, except, reason, ...(message === undefined ? {} : { message }), quiet }
    if ('id' in select) {
      const owner = this.replica.get(select.id)
      if (owner === undefined) throw new NoSuchSessionError(select.id)
      return this.ask(owner.node, request)
    }
    const nodes = new Set<string>()
    for (const r of this.replica.all()) {
      const d = r.details
      const named = 'all' in select || ('authid' in select ? d.authid === select.authid : d.authrole === select.authrole)
      // A node declared down is not asked (it would not answer): its sessions are being removed with it.
      if (named && this.rc.membership.alive(r.node)) nodes.add(r.node)
    }
    const answers = await Promise.allSettled([...nodes].map((n) => this.ask(n, request)))
    const failed = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    return answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []))
  }

  private async ask(node: string, request: KillRequest): Promise<number[]> {
    try {
      return await this.rc.requests.ask<number[]>(node, this.rc.realm.name, KILL_REQUEST, request)
    } catch (err) {
      if (!(err instanceof NodeRequestError)) throw err
      if ('id' in request.select && err.uri === ErrorUri.noSuchSession) throw new NoSuchSessionError(request.select.id)
      throw new RemoteNodeError(err.uri, `node ${node}: ${err.message}`)
    }
  }

  /** Another node's kill request: close this node's sessions it names. */
  private serveKill(r: KillRequest): number[] {
    const victims = localVictims(this.rc.realm, r.select, r.except)
    if ('id' in r.select && victims.length === 0) throw new NoSuchSessionError(r.select.id)
    for (const s of victims) killSession(this.rc.realm, s, r.reason, r.message, r.quiet)
    return victims.map((s) => s.id)
  }

  private record(session: Session): SessionRecord {
    return { node: this.rc.node, incarnation: this.rc.link.incarnation, details: this.details(session) }
  }

  private async deleteIfUnchanged(key: string, revision: number): Promise<void> {
    try {
      await this.rc.kv.delete(key, { previousSeq: revision })
    } catch (err) {
      if ((err as { code?: unknown }).code !== WRONG_LAST_SEQUENCE) throw err
    }
  }

  /**
   * Run `op` after the session's previous write, retried while NATS is up but not answering (right
   * after a NATS restart: warnings, bounded); while NATS is away the rejoin's reassert() repairs it.
   */
  private write(id: number, op: () => Promise<unknown>): Promise<void> {
    const previous = this.writes.get(id) ?? Promise.resolve()
    const next = previous
      .then(() => withRetries(this.rc.link, `writing session ${id}`, op, { realm: this.rc.realm.name }))
      .then(
        () => undefined,
        (err: unknown) => {
          if (!(err instanceof ClusterWriteError)) this.rc.onError(err, `cluster: writing session ${id}`)
        },
      )
    this.writes.set(id, next)
    void next.then(() => {
      if (this.writes.get(id) === next) this.writes.delete(id)
    })
    return next
  }
}
