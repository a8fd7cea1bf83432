import { ErrorUri } from '../protocol/error-uris.js'
import { ExtensionUri } from '../protocol/extensions.js'
import { MessageCode } from '../protocol/message-codes.js'
import {
  InvalidArgumentError,
  InvalidUriError,
  NoAvailableCalleeError,
  NoSuchProcedureError,
  NoSuchRegistrationError,
  NotAuthorizedError,
  ProcedureAlreadyExistsError,
  ProtocolViolationError,
} from './errors.js'
import { nextRouterScopeId } from './ids.js'
import type { Args, Dict, Kwargs } from './inbound.js'
import { Invocation } from './invocation.js'
import { pickCallee } from './invocation-policy.js'
import { PatternIndex } from './pattern-index.js'
import { withPayload } from './payload.js'
import type { Realm } from './realm.js'
import { Callee, INVOKE_POLICIES, Registration, type InvokePolicy } from './registration.js'
import type { Session } from './session.js'
import { checkUri, isReservedUri, type MatchPolicy } from './uri.js'

const MATCH_POLICIES: readonly MatchPolicy[] = ['exact', 'prefix', 'wildcard']
export const MAX_WEIGHT = 1_000_000
const CANCEL_MODES = ['skip', 'kill', 'killnowait'] as const

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
    const invoke = (options.invoke ?? 'single') as InvokePolicy
    if (!INVOKE_POLICIES.includes(invoke)) throw new InvalidArgumentError(`unknown invoke policy ${JSON.stringify(options.invoke)}`)
    checkUri(procedure, match, this.realm.strictUris)
    if (isReservedUri(procedure)) throw new InvalidUriError(procedure, "'wamp.' and 'wampctl.' procedures are the router's own")
    // wampctl extension: `_weight` starts the callee at that traffic weight (0 = registered but
    // no traffic until an operator or a rollout raises it: a canary that joins dark). The
    // underscore form is what wampy passes through; ignored when the extensions are off.
    const initialWeight = options._weight
    if (initialWeight !== undefined && (typeof initialWeight !== 'number' || !(initialWeight >= 0 && initialWeight <= MAX_WEIGHT))) {
      throw new InvalidArgumentError(`_weight must be a number from 0 to ${MAX_WEIGHT}`)
    }
    if (!this.realm.authorizer.may(session, 'register', procedure)) {
      throw new NotAuthorizedError(`role '${session.authrole}' may not register '${procedure}'`)
    }

    let reg = this.index.get(procedure, match)
    if (reg !== undefined) {
      const existing = { registration: reg.id, match: reg.match, invoke: reg.invoke }
      if (reg.invoke !== invoke) {
        throw new ProcedureAlreadyExistsError(
          `'${procedure}' (match ${match}) is registered with invoke '${reg.invoke}', not '${invoke}'`,
          existing,
        )
      }
      if (invoke === 'single') {
        throw new ProcedureAlreadyExistsError(`'${procedure}' (match ${match}) is registered with invoke 'single'`, existing)
      }
      if (reg.calleeOf(session) !== undefined) {
        throw new ProcedureAlreadyExistsError(`this session already registered '${procedure}' (match ${match})`, existing)
      }
    }

    const created = reg === undefined
    if (reg === undefined) {
      reg = new Registration(nextRouterScopeId(), procedure, match, invoke)
      this.index.add(reg)
      this.byId.set(reg.id, reg)
    }
    const callee = new Callee(reg, session, options.disclose_caller === true)
    if (typeof initialWeight === 'number' && initialWeight !== 1 && this.realm.meta.has(ExtensionUri.setWeight))
      reg.setWeight(callee, initialWeight)
    reg.add(callee)
    session.callees.add(callee)
    session.send([MessageCode.REGISTERED, request, reg.id])
    if (created) this.realm.publishMeta('wamp.registration.on_create', [session.id, reg.details()])
    this.realm.publishMeta('wamp.registration.on_register', [session.id, reg.id])
  }

  unregister(session: Session, request: number, registrationId: number): void {
    const reg = this.byId.get(registrationId)
    const callee = reg?.calleeOf(session)
    if (callee === undefined) throw new NoSuchRegistrationError(registrationId)
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
    this.realm.publishMeta('wamp.registration.on_unregister', [callee.session.id, reg.id])
    if (reg.callees.length === 0) {
      this.index.delete(reg)
      this.byId.delete(reg.id)
      this.realm.publishMeta('wamp.registration.on_delete', [callee.session.id, reg.id])
    }
    this.notifyInflight(callee)
  }

  // ── CALL ────────────────────────────────────────────────────────────────────────────────

  call(caller: Session, request: number, options: Dict, procedure: string, args: Args, kwargs: Kwargs): void {
    if (caller.calls.has(request)) throw new ProtocolViolationError(`CALL: request ${request} is already in flight`)
    if (isReservedUri(procedure)) {
      const meta = this.realm.meta.get(procedure)
      if (meta === undefined) throw new NoSuchProcedureError(procedure)
      return this.realm.callMeta(caller, request, options, procedure, meta, args, kwargs)
    }
    const reg = this.index.best(procedure)
    // An exact hit is a URI already checked at REGISTER; a pattern hit says nothing about the call's URI.
    if (reg === undefined || reg.match !== 'exact') checkUri(procedure, 'exact', this.realm.strictUris)
    if (reg === undefined) throw new NoSuchProcedureError(procedure)
    if (!(caller.allowAll.call || this.realm.authorizer.may(caller, 'call', procedure))) {
      throw new NotAuthorizedError(`role '${caller.authrole}' may not call '${procedure}'`)
    }
    const callee = pickCallee(reg)
    if (callee === undefined) throw new NoAvailableCalleeError(procedure, noCalleeReason(reg))

    const receiveProgress = options.receive_progress === true
    const inv = new Invocation(0, caller, request, callee, 0, procedure, options, args, kwargs, receiveProgress)
    caller.calls.set(request, inv)
    this.invoke(inv, callee)

    const timeout = options.timeout
    if (typeof timeout === 'number' && timeout > 0) {
      inv.timer = setTimeout(() => this.timeOut(inv), Math.min(timeout, 2 ** 31 - 1))
    }
  }

  /** Send the INVOCATION for `inv` to `callee`. */
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
    inv.id = session.nextRequestId()
    inv.callee = callee
    session.invocations.set(inv.id, inv)
    if (this.realm.callStats) {
      inv.startedAt = performance.now()
      callee.stats.started(Date.now())
    }
    session.send(withPayload([MessageCode.INVOCATION, inv.id, reg.id, details], inv.args, inv.kwargs))
  }

  // ── Answers from callees ────────────────────────────────────────────────────────────────

  yield(session: Session, request: number, options: Dict, args: Args, kwargs: Kwargs): void {
    const inv = session.invocations.get(request)
    if (inv === undefined) return // answer to a canceled or timed-out call, or a stray id: dropped
    if (options.progress === true) {
      if (!inv.done && inv.receiveProgress) {
        inv.caller.send(withPayload([MessageCode.RESULT, inv.callRequest, { progress: true }], args, kwargs))
      }
      return
    }
    this.finish(inv, false)
    if (!inv.done) {
      inv.caller.calls.delete(inv.callRequest)
      inv.caller.send(withPayload([MessageCode.RESULT, inv.callRequest, {}], args, kwargs))
    }
  }

  invocationError(session: Session, request: number, error: string, args: Args, kwargs: Kwargs): void {
    const inv = session.invocations.get(request)
    if (inv === undefined) return
    if (error === ErrorUri.unavailable && !inv.done) {
      // Call rerouting: this callee cannot serve it now, try another one. The call keeps its timeout.
      const timer = inv.timer
      inv.timer = undefined
      this.finish(inv, false)
      inv.timer = timer
      ;(inv.tried ??= new Set()).add(inv.callee)
      const next = pickCallee(inv.callee.registration, inv.tried)
      if (next !== undefined) return this.invoke(inv, next)
      inv.caller.calls.delete(inv.callRequest)
      this.clearTimer(inv)
      inv.caller.send([
        MessageCode.ERROR,
        MessageCode.CALL,
        inv.callRequest,
        {},
        ErrorUri.noAvailableCallee,
        ['every callee answered wamp.error.unavailable'],
      ])
      return
    }
    this.finish(inv, true)
    if (!inv.done) {
      inv.caller.calls.delete(inv.callRequest)
      inv.caller.send(withPayload([MessageCode.ERROR, MessageCode.CALL, inv.callRequest, {}, error], args, kwargs))
    }
  }

  /** The callee answered (finally): stats, indexes, timer. */
  private finish(inv: Invocation, failed: boolean): void {
    inv.callee.session.invocations.delete(inv.id)
    if (this.realm.callStats) inv.callee.stats.finishedAfter(performance.now() - inv.startedAt, failed)
    if (this.inflightListeners.size > 0) this.notifyInflight(inv.callee)
    this.clearTimer(inv)
  }

  private clearTimer(inv: Invocation): void {
    if (inv.timer !== undefined) {
      clearTimeout(inv.timer)
      inv.timer = undefined
    }
  }

  // ── CANCEL and timeout ──────────────────────────────────────────────────────────────────

  cancel(caller: Session, request: number, options: Dict): void {
    const inv = caller.calls.get(request)
    if (inv === undefined || inv.done) return // already answered: nothing to cancel
    const mode = (options.mode ?? 'killnowait') as (typeof CANCEL_MODES)[number]
    if (!CANCEL_MODES.includes(mode)) throw new InvalidArgumentError(`unknown cancel mode ${JSON.stringify(options.mode)}`)
    const calleeCancels = inv.callee.session.features.calleeCanceling
    if (mode === 'kill' && calleeCancels) {
      // The caller gets whatever the callee answers to the interrupt.
      inv.callee.session.send([MessageCode.INTERRUPT, inv.id, { mode: 'kill' }])
      return
    }
    this.answerEarly(inv, ErrorUri.canceled, 'the call was canceled')
    if (mode !== 'skip' && calleeCancels) inv.callee.session.send([MessageCode.INTERRUPT, inv.id, { mode: 'killnowait' }])
  }

  private timeOut(inv: Invocation): void {
    inv.timer = undefined
    if (inv.done) return
    this.answerEarly(inv, ErrorUri.timeout, `no result within ${String(inv.options.timeout)} ms`)
    if (inv.callee.session.features.calleeCanceling) {
      inv.callee.session.send([MessageCode.INTERRUPT, inv.id, { mode: 'killnowait', reason: ErrorUri.timeout }])
    }
  }

  /** Answer the caller now with an error; the callee's eventual answer will be dropped. */
  private answerEarly(inv: Invocation, uri: string, message: string): void {
    inv.done = true
    this.clearTimer(inv)
    inv.caller.calls.delete(inv.callRequest)
    inv.caller.send([MessageCode.ERROR, MessageCode.CALL, inv.callRequest, {}, uri, [message]])
  }

  // ── Session loss ────────────────────────────────────────────────────────────────────────

  /** A session left: its registrations go, its callers get `canceled` at once, its calls are interrupted. */
  detach(session: Session): void {
    for (const callee of [...session.callees]) this.removeCallee(callee)
    for (const inv of session.invocations.values()) {
      this.clearTimer(inv)
      if (this.realm.callStats) inv.callee.stats.abandoned()
      if (!inv.done) {
        inv.done = true
        inv.caller.calls.delete(inv.callRequest)
        inv.caller.send([MessageCode.ERROR, MessageCode.CALL, inv.callRequest, {}, ErrorUri.canceled, ['the callee left before answering']])
      }
      this.notifyInflight(inv.callee)
    }
    session.invocations.clear()
    for (const inv of session.calls.values()) {
      inv.done = true
      this.clearTimer(inv)
      if (inv.callee.session.features.calleeCanceling && !inv.callee.session.closed) {
        inv.callee.session.send([MessageCode.INTERRUPT, inv.id, { mode: 'killnowait' }])
      }
    }
    session.calls.clear()
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
