import { SessionMeta } from '../protocol/meta-uris.js'
import { ErrorUri } from '../protocol/error-uris.js'
import { MessageCode } from '../protocol/message-codes.js'
import { Authorizer, type RoleConfig } from './authorizer.js'
import { Broker } from './broker.js'
import type { RouterCounters } from './counters.js'
import type { CallQueueLimits } from './call-queue.js'
import { Dealer } from './dealer.js'
import { NotAuthorizedError, RouterError } from './errors.js'
import type { Args, Dict, Kwargs } from './inbound.js'
import type { MetaCall, MetaProcedure, MetaResult } from './meta-procedure.js'
import { withPayload } from './payload.js'
import type { LivenessSettings } from './liveness.js'
import type { Session } from './session.js'
import type { RealmCluster } from './cluster/realm-cluster.js'

export interface RealmOptions {
  name: string
  roles: Record<string, RoleConfig>
  strictUris: boolean
  /** Keep per-callee call statistics (RouterOptions.callStats). */
  callStats: boolean
  /** The router's counters (sessions, events dropped…). */
  counters: RouterCounters
  /** Liveness checks of this realm's sessions (the router's settings with the realm's overrides). */
  liveness: LivenessSettings
  /** Give up on an invocation after this many ms unless its REGISTER says otherwise; 0 = never. */
  invocationDeadlineMs?: number
  /** The wampctl extensions are served, with the routing options they bring (docs/routing.md). */
  extensions: boolean
  /** Limits of each registration's queue of calls waiting for a callee with room. */
  callQueue: CallQueueLimits
  /** Log an unexpected failure (a bug); the router keeps serving. */
  onInternalError: (err: unknown, context: string) => void
}

/**
 * A realm: its sessions, dealer, broker and the router's own procedures. Sessions in one realm
 * never see another realm's registrations, subscriptions or meta events.
 */
export class Realm {
  readonly name: string
  readonly sessions = new Map<number, Session>()
  readonly dealer: Dealer
  readonly broker: Broker
  readonly authorizer: Authorizer
  readonly strictUris: boolean
  readonly callStats: boolean
  readonly counters: RouterCounters
  readonly invocationDeadlineMs: number
  readonly liveness: LivenessSettings
  readonly extensions: boolean
  readonly callQueue: CallQueueLimits
  /** False once a graceful shutdown began: CALLs to callees are refused (no_available_callee). */
  acceptingCalls = true
  /** Its cluster side when the router is a cluster node (docs/cluster.md); undefined in a single router. */
  cluster: RealmCluster | undefined
  /** The router's own procedures: wamp.* meta API and wampctl.* extensions. */
  readonly meta = new Map<string, MetaProcedure>()
  private readonly cancelers = new Map<Session, Set<() => void>>()
  private readonly leaveListeners = new Set<(session: Session) => void>()
  /** Set while kill_all detaches sessions: the spec says it publishes no meta events. */
  private quiet = false

  constructor(private readonly options: RealmOptions) {
    this.name = options.name
    this.strictUris = options.strictUris
    this.callStats = options.callStats
    this.counters = options.counters
    this.invocationDeadlineMs = options.invocationDeadlineMs ?? 0
    this.liveness = options.liveness
    this.extensions = options.extensions
    this.callQueue = options.callQueue
    this.authorizer = new Authorizer(options.roles)
    this.dealer = new Dealer(this)
    this.broker = new Broker(this)
  }

  addProcedures(procedures: Record<string, MetaProcedure>): void {
    for (const [uri, p] of Object.entries(procedures)) this.meta.set(uri, p)
  }

  join(session: Session): void {
    this.authorizer.prepare(session)
    this.sessions.set(session.id, session)
    this.counters.sessionsOpened++
    if (this.cluster === undefined) this.publishMeta(SessionMeta.onJoin, [session.details()])
    else {
      this.cluster.sessions.joined(session)
      this.publishMeta(SessionMeta.onJoin, [this.cluster.sessions.details(session)])
    }
  }

  /**
   * A session is gone (GOODBYE, kill, lost transport). Its registrations and subscriptions go
   * first (with their meta events), then on_leave. `quiet` (kill_all) publishes no meta events;
   * `quietElsewhere` says the same of the other nodes of a cluster (false when this node shuts
   * down: its own sessions are told GOODBYE, but the other nodes' see them leave).
   */
  leave(session: Session, quiet = false, quietElsewhere = quiet): void {
    if (!this.sessions.has(session.id)) return
    session.closed = true
    this.sessions.delete(session.id)
    this.counters.sessionsClosed++
    const cancel = this.cancelers.get(session)
    if (cancel !== undefined) {
      this.cancelers.delete(session)
      for (const c of cancel) c()
    }
    this.quiet = quiet
    try {
      this.dealer.detach(session)
      this.broker.detach(session, quietElsewhere)
      // Its last words: detached-scope testaments, then destroyed-scope ones (spec, Testament).
      for (const t of session.testaments.take()) this.broker.publishTestament(session, t)
      this.publishMeta(SessionMeta.onLeave, [session.id, session.authid, session.authrole])
    } finally {
      this.quiet = false
    }
    try {
      for (const l of this.leaveListeners) l(session)
    } finally {
      // Last: its key goes after its registrations' and subscriptions' writes, so other nodes see those first.
      this.cluster?.sessions.left(session, quietElsewhere)
    }
  }

  onLeave(listener: (session: Session) => void): () => void {
    this.leaveListeners.add(listener)
    return () => this.leaveListeners.delete(listener)
  }

  publishMeta(topic: string, args: Args, kwargs?: Kwargs): void {
    if (this.quiet) return
    this.broker.publishFromRouter(topic, args, kwargs)
  }

  /** Run one of the router's own procedures for `caller` and answer its CALL. */
  callMeta(caller: Session, request: number, options: Dict, procedure: string, meta: MetaProcedure, args: Args, kwargs: Kwargs): void {
    if (meta.mutating && !caller.admin) {
      throw new NotAuthorizedError(`'${procedure}' changes router state and needs an admin role; '${caller.authrole}' is not one`)
    }
    // Read-only meta procedures follow the role's URI rules like any other call.
    if (!caller.admin && !(caller.allowAll.call || this.authorizer.may(caller, 'call', procedure))) {
      throw new NotAuthorizedError(`role '${caller.authrole}' may not call '${procedure}'`)
    }
    const wantsProgress = options.receive_progress === true
    let canceled = false
    const call: MetaCall = {
      caller,
      args: args ?? [],
      kwargs: kwargs ?? {},
      options,
      progress: (a, k) => {
        if (wantsProgress && !caller.closed) caller.send(withPayload([MessageCode.RESULT, request, { progress: true }], a, k))
      },
      get canceled() {
        return canceled || caller.closed
      },
      onCancel: (listener) => {
        let set = this.cancelers.get(caller)
        if (set === undefined) this.cancelers.set(caller, (set = new Set()))
        set.add(() => {
          canceled = true
          listener()
        })
      },
    }
    const answer = (r: MetaResult): void => {
      if (!caller.closed) caller.send(withPayload([MessageCode.RESULT, request, {}], r.args, r.kwargs))
    }
    const fail = (err: unknown): void => {
      if (caller.closed) return
      if (err instanceof RouterError) {
        caller.send(withPayload([MessageCode.ERROR, MessageCode.CALL, request, {}, err.uri], [err.message], err.kwargs))
      } else {
        this.options.onInternalError(err, procedure)
        caller.send([MessageCode.ERROR, MessageCode.CALL, request, {}, ErrorUri.internal, [`${procedure} failed inside the router`]])
      }
    }
    let out: MetaResult | Promise<MetaResult>
    try {
      out = meta.handler(call)
    } catch (err) {
      return fail(err)
    }
    if (out instanceof Promise) out.then(answer, fail)
    else answer(out)
  }
}
