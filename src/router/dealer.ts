import { RegistrationMeta } from '../protocol/meta-uris.js'
import { ErrorUri } from '../protocol/error-uris.js'
import { DIRECTED_CALLEE_OPTION } from '../protocol/rollout.js'
import { ExtensionUri, type CalleeState, type CalleeStateEvent } from '../protocol/extensions.js'
import { MessageCode } from '../protocol/message-codes.js'
import {
  InvalidArgumentError,
  InvalidUriError,
  NoAvailableCalleeError,
  NoSuchProcedureError,
  NoSuchRegistrationError,
  NotAuthorizedError,
  ProtocolViolationError,
  UnencodableValueError,
} from './errors.js'
import { QueuedCall, QueueRefusal } from './call-queue.js'
import { CallRejectReason } from './counters.js'
import { directedCallee, isDirected } from './directed-call.js'
import { nextRouterScopeId } from './ids.js'
import type { Args, Dict, Kwargs } from './inbound.js'
import { Invocation } from './invocation.js'
import { pickCallee, someoneWillHaveRoom } from './invocation-policy.js'
import { PatternIndex } from './pattern-index.js'
import { withPayload } from './payload.js'
import { encodeForPeer } from './serializers.js'
import type { Realm } from './realm.js'
import { Callee, Registration } from './registration.js'
import { registrationConflict } from './registration-conflict.js'
import { concurrencyOption, invokePolicy, routingKey } from './routing-options.js'
import type { Session } from './session.js'
import { checkUri, isReservedUri, type MatchPolicy } from './uri.js'

const MATCH_POLICIES: readonly MatchPolicy[] = ['exact', 'prefix', 'wildcard']
export const MAX_WEIGHT = 1_000_000
const CANCEL_MODES = ['skip', 'kill', 'killnowait'] as const
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Something that wants to know when a callee's in-flight count changes (drain). */
export type InflightListener = (callee: Callee) => void

/**
 * The dealer of one realm. It alone owns and mutates registration state; routing decisions are
 * synchronous (no await between choosing a callee and sending the INVOCATION).
 */
export class Dealer {
  readonly index = new PatternIndex<Registration>()
  readonly byId = new Map<number, Registration>()
  /** Drain watchers, by callee: told on every in-flight change of that callee. */
  readonly inflightListeners = new Map<Callee, Set<InflightListener>>()

  constructor(private readonly realm: Realm) {}

  // ── REGISTER / UNREGISTER ─────────────────────────────────────────────────────────────────

  register(session: Session, request: number, options: Dict, procedure: string): void {
    const match = (options.match ?? 'exact') as MatchPolicy
    if (!MATCH_POLICIES.includes(match)) throw new InvalidArgumentError(`unknown match policy ${JSON.stringify(options.match)}`)
    const invoke = invokePolicy(options, this.realm.extensions)
    const concurrency = concurrencyOption(options, this.realm.extensions)
    checkUri(procedure, match, this.realm.strictUris)
    if (isReservedUri(procedure)) throw new InvalidUriError(procedure, "'wamp.' and 'wampctl.' procedures are the router's own")
    // wampctl extension: `_weight` starts the callee at that traffic weight (0 = registered but
    // no traffic until an operator or a rollout raises it: a canary that joins dark). The
    // underscore form is what wampy passes through; ignored when the extensions are off.
    const initialWeight = options._weight
    if (initialWeight !== undefined && (typeof initialWeight !== 'number' || !(initialWeight >= 0 && initialWeight <= MAX_WEIGHT))) {
      throw new InvalidArgumentError(`_weight must be a number from 0 to ${MAX_WEIGHT}`)
    }
    // wampctl: `_deadline_ms` gives up on each of this callee's invocations after that long
    // (overrides the realm's invocationDeadlineMs; 0 = no deadline).
    const deadline = options._deadline_ms
    if (deadline !== undefined && (typeof deadline !== 'number' || !(deadline >= 0 && deadline <= MAX_TIMER_MS))) {
      throw new InvalidArgumentError(`_deadline_ms must be a number of milliseconds from 0 to ${MAX_TIMER_MS}`)
    }
    if (!this.realm.authorizer.may(session, 'register', procedure)) {
      throw new NotAuthorizedError(`role '${session.authrole}' may not register '${procedure}'`)
    }

    const cluster = this.realm.cluster
    if (cluster !== undefined) {
      // A cluster node: the registry decides the conflict rules on the shared record (atomically,
      // cluster-wide) and assigns the id; REGISTERED (or the ERROR) follows once this node's replica has it.
      const weight = typeof initialWeight === 'number' && this.realm.meta.has(ExtensionUri.setWeight) ? initialWeight : 1
      const discloseCaller = options.disclose_caller === true
      const deadlineMs = deadline ?? this.realm.invocationDeadlineMs
      return cluster.registrations.register(session, request, { procedure, match, invoke, discloseCaller, deadlineMs, concurrency, weight })
    }

    let reg = this.index.get(procedure, match)
    if (reg !== undefined) {
      const conflict = registrationConflict(reg, procedure, invoke, reg.calleeOf(session) !== undefined)
      if (conflict !== undefined) throw conflict
    }

    const created = reg === undefined
    if (reg === undefined) {
      reg = new Registration(nextRouterScopeId(), procedure, match, invoke)
      this.index.add(reg)
      this.byId.set(reg.id, reg)
    }
    const callee = new Callee(reg, session, options.disclose_caller === true, deadline ?? this.realm.invocationDeadlineMs, concurrency)
    if (typeof initialWeight === 'number' && initialWeight !== 1 && this.realm.meta.has(ExtensionUri.setWeight))
      reg.setWeight(callee, initialWeight)
    reg.add(callee)
    session.callees.add(callee)
    session.send([MessageCode.REGISTERED, request, reg.id])
    if (created) this.realm.publishMeta(RegistrationMeta.onCreate, [session.id, reg.details()])
    this.realm.publishMeta(RegistrationMeta.onRegister, [session.id, reg.id])
    this.serveQueue(reg) // calls waiting for room: the newcomer has some
  }

  /**
   * Cordon, drain or uncordon a callee: the one writer of `callee.state`. Re-ranks it, serves
   * waiting calls and tells wampctl.callee.on_state subscribers; no-op when the state is unchanged.
   */
  setCalleeState(callee: Callee, state: CalleeState, cause: string): void {
    if (callee.state === state) return
    callee.state = state
    this.calleeChanged(callee)
    this.publishCalleeState(callee, cause)
  }

  /** Change a callee's traffic weight (through its registration, which keeps its weighted counts), then as setCalleeState. */
  setCalleeWeight(callee: Callee, weight: number): void {
    callee.registration.setWeight(callee, weight)
    this.calleeChanged(callee)
    this.publishCalleeState(callee, 'set_weight')
  }

  private publishCalleeState(callee: Callee, cause: string): void {
    const event: CalleeStateEvent = {
      registration: callee.registration.id,
      uri: callee.registration.uri,
      session: callee.session.id,
      state: callee.state,
      weight: callee.weight,
      cause,
    }
    this.realm.publishMeta(ExtensionUri.onState, [event])
  }

  /** A callee's state or weight changed (cordon, drain, uncordon, set_weight): re-rank it, serve waiting calls. */
  private calleeChanged(callee: Callee): void {
    const reg = callee.registration
    reg.stateChanged(callee)
    this.serveQueue(reg)
  }

  unregister(session: Session, request: number, registrationId: number): void {
    const reg = this.byId.get(registrationId)
    const callee = reg?.calleeOf(session)
    if (callee === undefined) throw new NoSuchRegistrationError(registrationId)
    const cluster = this.realm.cluster
    if (cluster !== undefined) return cluster.registrations.unregister(session, request, callee)
    this.removeCallee(callee)
    session.send([MessageCode.UNREGISTERED, request])
  }

  /**
   * Detach a callee from its registration (unregister, revocation, session loss). Its invocations
   * in flight stay with its session and may still be answered. Meta events in spec order.
   */
  removeCallee(callee: Callee, revokeReason?: string): void {
    const reg = callee.registration
    if (!reg.remove(callee)) return
    callee.session.callees.delete(callee)
    if (revokeReason !== undefined && callee.session.features.calleeRevocation) {
      callee.session.send([MessageCode.UNREGISTERED, 0, { registration: reg.id, reason: revokeReason }])
    }
    // A cluster node derives registration meta events from the registry's records (the same on every node), not here.
    const local = this.realm.cluster === undefined
    if (local) this.realm.publishMeta(RegistrationMeta.onUnregister, [callee.session.id, reg.id])
    if (reg.callees.length === 0) {
      this.index.delete(reg)
      this.byId.delete(reg.id)
      if (local) this.realm.publishMeta(RegistrationMeta.onDelete, [callee.session.id, reg.id])
      this.refuseQueued(reg)
    }
    this.notifyInflight(callee)
  }

  /**
   * A cluster node's replica of the registry adds a callee (of this node or a proxy of another's)
   * to its registration, which joins the dealer with its first callee. Not used by a single router.
   */
  adoptCallee(callee: Callee, state: CalleeState, weight: number, at?: number): void {
    const reg = callee.registration
    if (this.byId.get(reg.id) !== reg) {
      this.index.add(reg)
      this.byId.set(reg.id, reg)
    }
    if (weight !== 1) reg.setWeight(callee, weight)
    callee.state = state
    reg.add(callee, at)
    callee.session.callees.add(callee)
    this.serveQueue(reg)
  }

  /** The registry deleted `reg` while callees remain here (of a session or node that cannot be reached): they go too. */
  dropRegistration(reg: Registration): void {
    for (const c of [...reg.callees]) this.removeCallee(c)
  }

  // ── CALL ────────────────────────────────────────────────────────────────────────────────

  call(caller: Session, request: number, options: Dict, procedure: string, args: Args, kwargs: Kwargs): void {
    if (caller.calls.has(request) || (caller.queued.size > 0 && caller.queued.has(request)))
      throw new ProtocolViolationError(`CALL: request ${request} is already in flight`)
    if (isReservedUri(procedure)) {
      const meta = this.realm.meta.get(procedure)
      if (meta === undefined) throw new NoSuchProcedureError(procedure)
      return this.realm.callMeta(caller, request, options, procedure, meta, args, kwargs)
    }
    if (!this.realm.acceptingCalls) {
      this.realm.counters.callRejected(CallRejectReason.shutdown)
      throw new NoAvailableCalleeError(procedure, 'the router is shutting down')
    }
    const reg = this.index.best(procedure)
    // An exact hit is a URI already checked at REGISTER; a pattern hit says nothing about the call's URI.
    if (reg === undefined || reg.match !== 'exact') checkUri(procedure, 'exact', this.realm.strictUris)
    if (reg === undefined) throw new NoSuchProcedureError(procedure)
    if (!(caller.allowAll.call || this.realm.authorizer.may(caller, 'call', procedure))) {
      throw new NotAuthorizedError(`role '${caller.authrole}' may not call '${procedure}'`)
    }
    const timeout = typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout : undefined
    // A directed call (admin only) goes to the named callee now, whatever its weight, state or cap.
    const directed = options[DIRECTED_CALLEE_OPTION]
    if (directed !== undefined) {
      return this.start(caller, request, options, procedure, args, kwargs, directedCallee(this.realm, caller, reg, directed), timeout)
    }
    const rkey = this.realm.extensions ? routingKey(options) : undefined
    const callee = pickCallee(reg, undefined, rkey)
    if (callee === undefined) {
      const deadline = timeout === undefined ? undefined : performance.now() + timeout
      return this.wait(new QueuedCall(reg, caller, request, options, procedure, args, kwargs, rkey, undefined, deadline))
    }
    this.start(caller, request, options, procedure, args, kwargs, callee, timeout)
  }

  /**
   * Cluster (docs/cluster.md, "Calls across nodes"): a call another node routed to `callee`, a
   * callee of this node, arrives from `caller` (a RemoteCaller). It runs as a local call to that
   * callee: counted in its statistics and in-flight, bounded by its deadline, drained with it. The
   * calling node keeps the caller's timeout and tells this one when it gives up (abandonCall).
   */
  callFromNode(caller: Session, request: number, options: Dict, procedure: string, args: Args, kwargs: Kwargs, callee: Callee): void {
    this.start(caller, request, options, procedure, args, kwargs, callee, undefined)
  }

  /**
   * Cluster: the calling node gave up on a call of `caller` (its timeout, a killnowait cancel, the
   * caller gone): the callee gets an INTERRUPT (unless `interrupt` is false: a skip cancel) and the
   * call is forgotten here, with no answer (the caller's node already answered it).
   */
  abandonCall(caller: Session, request: number, reason: 'timeout' | 'canceled', interrupt = true): void {
    const inv = caller.calls.get(request)
    if (inv !== undefined) this.giveUp(inv, undefined, '', interrupt, reason)
  }

  /** The call goes to `callee` now; its CALL timeout (what is left of it) starts. */
  private start(
    caller: Session,
    request: number,
    options: Dict,
    procedure: string,
    args: Args,
    kwargs: Kwargs,
    callee: Callee,
    timeoutMs: number | undefined,
  ): void {
    const receiveProgress = options.receive_progress === true
    const inv = new Invocation(0, caller, request, callee, 0, procedure, options, args, kwargs, receiveProgress)
    this.invoke(inv, callee) // throws (nothing in flight) when the callee's serializer cannot carry the arguments
    caller.calls.set(request, inv)

    // One timer per call, at whichever comes first: the caller's timeout or the callee's deadline.
    // Either way the caller gets wamp.error.timeout and the callee an INTERRUPT.
    const callerLimit = timeoutMs === undefined ? 0 : Math.min(Math.max(timeoutMs, 1), MAX_TIMER_MS)
    const deadline = callee.deadlineMs
    if (callerLimit > 0 || deadline > 0) {
      const byDeadline = deadline > 0 && (callerLimit === 0 || deadline < callerLimit)
      const ms = byDeadline ? deadline : callerLimit
      inv.timer = setTimeout(
        () => this.timeOut(inv, byDeadline ? `the callee's deadline of ${ms} ms` : `the call's timeout of ${String(options.timeout)} ms`),
        ms,
      )
    }
  }

  // ── Waiting for room (concurrency caps) ───────────────────────────────────────────────────

  /**
   * No callee can take `q` now. If one that is in rotation is merely at its concurrency cap, the
   * call waits in the registration's FIFO queue (bounded in length and time by the realm config);
   * otherwise, or when the queue is full, the caller gets no_available_callee with the reason.
   */
  private wait(q: QueuedCall): void {
    const reg = q.registration
    if (!someoneWillHaveRoom(reg, q.tried)) {
      const why = q.tried === undefined ? noCalleeReason(reg) : 'every callee answered wamp.error.unavailable'
      this.realm.counters.callRejected(CallRejectReason.noEligibleCallee)
      throw new NoAvailableCalleeError(q.procedure, why)
    }
    const limits = this.realm.callQueue
    if (reg.queued >= limits.size) {
      this.realm.counters.callRejected(CallRejectReason.queueFull)
      throw new NoAvailableCalleeError(
        q.procedure,
        `every callee is at its concurrency cap and the call queue is full (${limits.size} calls waiting)`,
        { reason: QueueRefusal.full, queued: reg.queued },
      )
    }
    reg.waitQueue().push(q)
    q.caller.queued.set(q.request, q)
    const left = q.deadline === undefined ? Infinity : q.deadline - performance.now()
    q.timer =
      left < limits.maxWaitMs
        ? setTimeout(
            () => this.withdraw(q, ErrorUri.timeout, [`no result within ${String(q.options.timeout)} ms (waited for a callee with room)`]),
            left,
          )
        : setTimeout(
            () => this.refuse(q, QueueRefusal.waitedTooLong, `waited ${limits.maxWaitMs} ms for a callee under its concurrency cap`),
            limits.maxWaitMs,
          )
  }

  /** Hand waiting calls, oldest first, to callees with room. */
  private serveQueue(reg: Registration): void {
    const queue = reg.queue
    if (queue === undefined || queue.length === 0) return
    let q = queue.head
    while (q !== undefined) {
      const next = q.next
      const callee = pickCallee(reg, q.tried, q.rkey)
      if (callee !== undefined) {
        this.unqueue(q)
        const timeout = q.deadline === undefined ? undefined : q.deadline - performance.now()
        try {
          this.start(q.caller, q.request, q.options, q.procedure, q.args, q.kwargs, callee, timeout)
        } catch (err) {
          if (!(err instanceof UnencodableValueError)) throw err
          q.caller.send([MessageCode.ERROR, MessageCode.CALL, q.request, {}, err.uri, [err.message]])
        }
      } else if (q.tried === undefined) {
        return // nobody has room: the calls behind wait too
      }
      q = next
    }
  }

  private unqueue(q: QueuedCall): void {
    q.registration.queue?.remove(q)
    q.caller.queued.delete(q.request)
    if (q.timer !== undefined) clearTimeout(q.timer)
  }

  /** Answer a waiting call with an error and forget it. */
  private withdraw(q: QueuedCall, uri: string, args: unknown[], kwargs?: Dict): void {
    this.unqueue(q)
    q.caller.send(withPayload([MessageCode.ERROR, MessageCode.CALL, q.request, {}, uri], args, kwargs))
  }

  private refuse(q: QueuedCall, reason: typeof QueueRefusal.waitedTooLong | typeof QueueRefusal.calleesGone, why: string): void {
    this.realm.counters.callRejected(reason)
    const err = new NoAvailableCalleeError(q.procedure, why, { reason, waited_ms: Math.round(performance.now() - q.enqueuedAt) })
    this.withdraw(q, err.uri, [err.message], err.kwargs)
  }

  /** The registration is gone: nobody will ever take its waiting calls. */
  private refuseQueued(reg: Registration): void {
    const queue = reg.queue
    while (queue?.head !== undefined) this.refuse(queue.head, QueueRefusal.calleesGone, 'every callee left while the call waited')
  }

  /** Send the INVOCATION for `inv` to `callee`; encoded first, so a value the callee cannot receive changes nothing. */
  private invoke(inv: Invocation, callee: Callee): void {
    const reg = callee.registration
    const session = callee.session
    const details: Dict = {}
    if (reg.match !== 'exact') details.procedure = inv.procedure
    if (inv.receiveProgress && session.features.calleeProgressive) details.receive_progress = true
    if (callee.discloseCaller || inv.options.disclose_me === true) {
      details.caller = inv.caller.id
      details.caller_authid = inv.caller.authid
      details.caller_authrole = inv.caller.authrole
    }
    const id = session.nextRequestId()
    const message = withPayload([MessageCode.INVOCATION, id, reg.id, details], inv.args, inv.kwargs)
    const data = encodeForPeer(session.transport.serializer, message, 'the call arguments')
    inv.id = id
    inv.callee = callee
    session.invocations.set(inv.id, inv)
    callee.inflight++
    reg.ladder?.started(callee)
    if (this.realm.callStats) {
      inv.startedAt = performance.now()
      callee.stats.started(Date.now())
    }
    session.sendEncoded(data, message)
  }

  /**
   * Send the caller a message carrying the callee's values (RESULT, ERROR). When the caller's
   * serializer cannot carry them, nothing is sent and the error says why: the caller must then be
   * answered with it (answerUnencodable) so that every call is answered.
   */
  private answer(inv: Invocation, message: unknown[], what: string): UnencodableValueError | undefined {
    let data: Buffer | string
    try {
      data = encodeForPeer(inv.caller.transport.serializer, message, what)
    } catch (err) {
      if (err instanceof UnencodableValueError) return err
      throw err
    }
    inv.caller.sendEncoded(data, message)
    return undefined
  }

  private answerUnencodable(inv: Invocation, err: UnencodableValueError): void {
    inv.caller.send([MessageCode.ERROR, MessageCode.CALL, inv.callRequest, {}, err.uri, [err.message]])
  }

  // ── Answers from callees ────────────────────────────────────────────────────────────────

  yield(session: Session, request: number, options: Dict, args: Args, kwargs: Kwargs): void {
    // A call the router gave up on (timeout, deadline, cancel, caller gone) is forgotten: its late
    // YIELD finds nothing here and is dropped, like a stray id.
    const inv = session.invocations.get(request)
    if (inv === undefined) return
    if (options.progress === true) {
      if (!inv.receiveProgress) return
      const err = this.answer(
        inv,
        withPayload([MessageCode.RESULT, inv.callRequest, { progress: true }], args, kwargs),
        'a progressive result',
      )
      // The caller cannot receive what the call produces: it gets the error, the callee an INTERRUPT.
      if (err !== undefined) this.giveUp(inv, err.uri, err.message, true, 'canceled')
      return
    }
    this.finish(inv, false)
    inv.caller.calls.delete(inv.callRequest)
    const err = this.answer(inv, withPayload([MessageCode.RESULT, inv.callRequest, {}], args, kwargs), 'the result')
    if (err !== undefined) this.answerUnencodable(inv, err)
  }

  invocationError(session: Session, request: number, error: string, args: Args, kwargs: Kwargs): void {
    const inv = session.invocations.get(request)
    if (inv === undefined) return
    if (error === ErrorUri.unavailable && !isDirected(inv.options)) {
      // Call rerouting: this callee cannot serve it now, try another one. The call keeps its timeout.
      const timer = inv.timer
      inv.timer = undefined
      this.finish(inv, false)
      inv.timer = timer
      ;(inv.tried ??= new Set()).add(inv.callee)
      const reg = inv.callee.registration
      const rkey = this.realm.extensions ? routingKey(inv.options) : undefined
      const next = pickCallee(reg, inv.tried, rkey)
      if (next !== undefined) {
        try {
          return this.invoke(inv, next)
        } catch (err) {
          if (!(err instanceof UnencodableValueError)) throw err
          return this.giveUp(inv, err.uri, err.message, false, 'canceled')
        }
      }
      inv.caller.calls.delete(inv.callRequest)
      this.clearTimer(inv)
      // Untried callees at their cap: wait for one (the CALL timeout starts again from here).
      const timeout = inv.options.timeout
      const deadline = typeof timeout === 'number' && timeout > 0 ? performance.now() + timeout : undefined
      const q = new QueuedCall(
        reg,
        inv.caller,
        inv.callRequest,
        inv.options,
        inv.procedure,
        inv.args,
        inv.kwargs,
        rkey,
        inv.tried,
        deadline,
      )
      try {
        this.wait(q)
      } catch (err) {
        if (!(err instanceof NoAvailableCalleeError)) throw err
        inv.caller.send(withPayload([MessageCode.ERROR, MessageCode.CALL, inv.callRequest, {}, err.uri], [err.message], err.kwargs))
      }
      return
    }
    this.finish(inv, true)
    inv.caller.calls.delete(inv.callRequest)
    const err = this.answer(
      inv,
      withPayload([MessageCode.ERROR, MessageCode.CALL, inv.callRequest, {}, error], args, kwargs),
      "the callee's error",
    )
    if (err !== undefined) this.answerUnencodable(inv, err)
  }

  /** The callee answered (finally): stats, indexes, timer, and its slot goes to a waiting call. */
  private finish(inv: Invocation, failed: boolean): void {
    inv.callee.session.invocations.delete(inv.id)
    if (this.realm.callStats) inv.callee.stats.finishedAfter(performance.now() - inv.startedAt, failed)
    this.clearTimer(inv)
    this.released(inv.callee)
  }

  /** One call of `callee` is over (answered, given up on, or its session gone): it has room again. */
  private released(callee: Callee): void {
    callee.inflight--
    const reg = callee.registration
    reg.ladder?.finished(callee, callee.attached && callee.eligible)
    if (this.inflightListeners.size > 0) this.notifyInflight(callee)
    if (reg.queue !== undefined && reg.queue.length > 0 && callee.attached) this.serveQueue(reg)
  }

  private clearTimer(inv: Invocation): void {
    if (inv.timer !== undefined) {
      clearTimeout(inv.timer)
      inv.timer = undefined
    }
  }

  // ── CANCEL and timeout ──────────────────────────────────────────────────────────────────

  cancel(caller: Session, request: number, options: Dict): void {
    const queued = caller.queued.size > 0 ? caller.queued.get(request) : undefined
    if (queued !== undefined) return this.withdraw(queued, ErrorUri.canceled, ['the call was canceled while it waited for a callee'])
    const inv = caller.calls.get(request)
    if (inv === undefined) return // already answered: nothing to cancel
    const mode = (options.mode ?? 'killnowait') as (typeof CANCEL_MODES)[number]
    if (!CANCEL_MODES.includes(mode)) throw new InvalidArgumentError(`unknown cancel mode ${JSON.stringify(options.mode)}`)
    if (mode === 'kill' && inv.callee.session.features.calleeCanceling) {
      // The caller gets whatever the callee answers to the interrupt.
      inv.callee.session.send([MessageCode.INTERRUPT, inv.id, { mode: 'kill' }])
      return
    }
    this.giveUp(inv, ErrorUri.canceled, 'the call was canceled', mode !== 'skip', 'canceled')
    // Cluster: the node of a callee of another node counts the call in flight until told; it forgets it without interrupting.
    if (mode === 'skip' && this.realm.cluster?.remoteSessions.nodeOf(inv.callee.session) !== undefined) {
      inv.callee.session.send([MessageCode.INTERRUPT, inv.id, { mode: 'skip' }])
    }
  }

  private timeOut(inv: Invocation, limit: string): void {
    inv.timer = undefined
    this.giveUp(inv, ErrorUri.timeout, `no result within ${limit}`, true, 'timeout')
  }

  /**
   * The router stops waiting for the callee's answer: the caller gets `uri` now (unless it is gone),
   * the callee an INTERRUPT (killnowait) when it supports call canceling and `interrupt` is set, and
   * the call is forgotten everywhere at once: the callee's calls in flight, its statistics (as an
   * error), drain watchers. Whatever the callee sends for it later is dropped.
   */
  private giveUp(inv: Invocation, uri: string | undefined, message: string, interrupt: boolean, reason: 'timeout' | 'canceled'): void {
    this.clearTimer(inv)
    const caller = inv.caller
    if (caller.calls.get(inv.callRequest) === inv) {
      caller.calls.delete(inv.callRequest)
      if (uri !== undefined) caller.send([MessageCode.ERROR, MessageCode.CALL, inv.callRequest, {}, uri, [message]])
    }
    const callee = inv.callee
    if (!callee.session.invocations.delete(inv.id)) return // already forgotten
    if (this.realm.callStats) callee.stats.abandoned(reason === 'timeout')
    if (interrupt && callee.session.features.calleeCanceling) {
      const details: Dict = { mode: 'killnowait' }
      if (reason === 'timeout') details.reason = ErrorUri.timeout
      callee.session.send([MessageCode.INTERRUPT, inv.id, details])
    }
    this.released(callee)
  }

  // ── Session loss ────────────────────────────────────────────────────────────────────────

  /**
   * A session left: its waiting calls leave their queues, its registrations go, its callers get
   * `canceled` at once, its calls are interrupted and forgotten (freeing their callees' slots).
   */
  detach(session: Session): void {
    for (const q of [...session.queued.values()]) this.unqueue(q)
    for (const callee of [...session.callees]) this.removeCallee(callee)
    for (const inv of [...session.invocations.values()])
      this.giveUp(inv, ErrorUri.canceled, 'the callee left before answering', false, 'canceled')
    for (const inv of [...session.calls.values()]) this.giveUp(inv, undefined, '', true, 'canceled')
  }

  private notifyInflight(callee: Callee): void {
    const listeners = this.inflightListeners.get(callee)
    if (listeners !== undefined) for (const l of [...listeners]) l(callee)
  }

  watchInflight(callee: Callee, listener: InflightListener): () => void {
    let set = this.inflightListeners.get(callee)
    if (set === undefined) this.inflightListeners.set(callee, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.inflightListeners.delete(callee)
    }
  }
}

function noCalleeReason(reg: Registration): string {
  const states = reg.callees.map((c) => (c.state !== 'active' ? c.state : c.weight === 0 ? 'weight 0' : 'active'))
  return `all ${reg.callees.length} callee(s) are out of rotation (${[...new Set(states)].join(', ')})`
}
