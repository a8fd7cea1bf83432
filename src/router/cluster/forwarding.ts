import type { Msg, Subscription } from '@nats-io/transport-node'
import { ErrorUri } from '../../protocol/error-uris.js'
import { MessageCode } from '../../protocol/message-codes.js'
import { DIRECTED_CALLEE_OPTION } from '../../protocol/rollout.js'
import { isDirected } from '../directed-call.js'
import { RouterError } from '../errors.js'
import type { Args, Dict, Kwargs } from '../inbound.js'
import type { Realm } from '../realm.js'
import type { Callee } from '../registration.js'
import { msgpackSerializer } from '../serializers.js'
import type { Session, SessionTransport } from '../session.js'
import { answerFrame, CallKind, decodeCallFrames, interruptFrame, invocationFrame } from './call-wire.js'
import type { ClusterLink } from './link.js'
import type { Membership } from './membership.js'
import { Outbox, type Undelivered } from './outbox.js'
import type { RemoteSessions } from './remote-session.js'
import { ProxyTransport, type CallSink } from './proxy-transport.js'
import { RemoteCaller, type AnswerSink } from './remote-caller.js'

/**
 * How often remote callers with no call since the last sweep are forgotten (they are made again on
 * their next call): a node timeout, the time the cluster already takes for "gone", at least 1 s.
 */
function idleCallerSweepMs(nodeTimeoutMs: number): number {
  return Math.max(nodeTimeoutMs, 1000)
}

/** A call another node forwarded to a callee of this node, while it is in flight here. */
interface InboundCall {
  readonly caller: RemoteCaller
  /** The callee's session: the calling node finds its proxy by it when the answer comes back. */
  readonly callee: number
}

/** Another node as the callee's node sees it: its callers here and their calls in flight. */
class CallingNode {
  readonly callers = new Map<number, RemoteCaller>()
  /** By the calling node's INVOCATION.Request: one counter per node and realm makes it unique. */
  readonly calls = new Map<number, InboundCall>()

  constructor(
    readonly name: string,
    /** The life of the node these calls come from (a node restarted with the same name is another one). */
    readonly incarnation: string,
    /** Where answers to it go: its calls subject. */
    readonly answers: string,
  ) {}
}

/**
 * Calls that cross nodes, for one realm (docs/cluster.md, "Calls across nodes"). The dealers do
 * the routing on both sides; this moves their messages:
 *
 * - out: an INVOCATION or INTERRUPT the dealer sends a proxy of another node's session (through
 *   the ProxyTransport made by `transport()`) goes to that node, with the caller's identity;
 *   while NATS is away the invocation is answered `wamp.error.unavailable` at once (rerouted);
 * - in: such an INVOCATION becomes a call from a RemoteCaller to the local callee (or is
 *   answered `unavailable` when that callee cannot take it); an INTERRUPT cancels it;
 * - back: the RemoteCaller's RESULT/ERROR goes to the caller's node, whose dealer takes it as the
 *   proxy's YIELD/ERROR: timeouts, progress and rerouting stay the single router's code.
 */
export class CallForwarding implements AnswerSink, CallSink {
  private readonly callingNodes = new Map<string, CallingNode>()
  private readonly subscription: Subscription
  /** Frames to other nodes, one NATS message per node per turn. */
  readonly outbox: Outbox
  private readonly sweep: NodeJS.Timeout
  private readonly stopWatchingLink: () => void

  constructor(
    private readonly realm: Realm,
    private readonly link: ClusterLink,
    /** The proxies of other nodes' sessions: answers from their nodes go to them. */
    private readonly proxies: RemoteSessions,
    /** Whether messages to a node can arrive now (NATS up, and that node heard since it last reconnected). */
    private readonly membership: Pick<Membership, 'reachable'>,
    private readonly onError: (err: unknown, context: string) => void,
  ) {
    this.outbox = Outbox.on(link.nc)
    this.subscription = link.nc.subscribe(link.subjects.calls(link.node, realm.name), {
      callback: (err, msg) => void (err === null && this.received(msg)),
    })
    this.sweep = setInterval(() => this.forgetIdleCallers(), idleCallerSweepMs(link.settings.nodeTimeoutMs))
    this.sweep.unref()
    this.stopWatchingLink = link.onState((state) => void (state !== 'connected' && this.linkLost()))
  }

  /** Callers of other nodes held here now, with calls in flight or recently used (metric wampctl_cluster_remote_callers). */
  get remoteCallers(): number {
    let n = 0
    for (const calling of this.callingNodes.values()) n += calling.callers.size
    return n
  }

  /** The transport of the proxy of session `session` of node `node` (RealmCluster.remoteTransport). */
  transport(node: string, session: number): SessionTransport {
    return new ProxyTransport(this, node, session, this.link.subjects.calls(node, this.realm.name))
  }

  /** Node `node` (its life `incarnation`) is down: its callers' calls here are given up (their callees get an INTERRUPT). */
  nodeDown(node: string, incarnation: string): void {
    const calling = this.callingNodes.get(node)
    if (calling === undefined || calling.incarnation !== incarnation) return
    this.callingNodes.delete(node)
    this.dropCallers(calling)
  }

  /**
   * Node `node` declared this node dead (it was held up or cut off past the node timeout) and gave
   * up every call between them: its proxies here dropped this node's callers' calls, and it
   * dropped the calls this node's callers had in flight to its callees, whose answers will never
   * come. Both are given up here too, as when the link drops: callers here get `canceled`, the
   * callees here an INTERRUPT. Calls made since are served as usual.
   */
  declaredDownBy(node: string): void {
    for (const proxy of this.proxies.ofNode(node)) {
      for (const id of [...proxy.invocations.keys()])
        this.realm.dealer.invocationError(proxy, id, ErrorUri.canceled, [`node ${node} took this node for dead`], undefined)
    }
    const calling = this.callingNodes.get(node)
    if (calling === undefined) return
    this.callingNodes.delete(node)
    this.dropCallers(calling)
  }

  /**
   * Node `node` lost its NATS link and got it back (Membership.onNodeRelinked): it gave up the
   * calls this node's callers had in flight there, and invocations sent to it while it was away
   * were lost. Their callers get `canceled` now instead of waiting for answers that cannot come.
   */
  nodeRelinked(node: string): void {
    for (const proxy of this.proxies.ofNode(node)) {
      for (const id of [...proxy.invocations.keys()])
        this.realm.dealer.invocationError(proxy, id, ErrorUri.canceled, [`node ${node} lost its connection to NATS`], undefined)
    }
  }

  close(): void {
    clearInterval(this.sweep)
    this.stopWatchingLink()
    this.outbox.flush()
    this.subscription.unsubscribe()
    for (const calling of this.callingNodes.values()) this.dropCallers(calling)
    this.callingNodes.clear()
  }

  // ── Out: the calling node ───────────────────────────────────────────────────────────────

  /** The dealer sent `invocation` (encoded in msgpack as `data`) to the proxy of `t.session`. */
  forwardInvocation(t: ProxyTransport, data: Buffer | string, invocation: unknown[]): void {
    const id = invocation[1] as number
    const proxy = this.proxies.get(t.session)
    const inv = proxy?.invocations.get(id)
    if (proxy === undefined || inv === undefined) {
      this.onError(new Error(`no proxy of session ${t.session} holds invocation ${id}`), 'cluster: forwarding an INVOCATION')
      return
    }
    // Right after a NATS outage, a node not heard again yet would lose it: the call goes elsewhere now.
    if (!this.membership.reachable(t.node)) return this.unreachable(proxy, id, ErrorUri.unavailable, `node ${t.node} cannot be reached now`)
    const caller = inv.caller
    const frame = invocationFrame(
      this.link.node,
      this.link.incarnation,
      t.session,
      isDirected(inv.options),
      caller.id,
      caller.authid,
      caller.authrole,
      data,
    )
    this.outbox.add(t.subject, frame.head, frame.message, {
      undelivered: (why, tooLarge) =>
        tooLarge
          ? this.unreachable(proxy, id, ErrorUri.payloadSizeExceeded, `the call is larger than NATS takes between nodes: ${why}`)
          : this.unreachable(proxy, id, ErrorUri.unavailable, `node ${t.node} cannot be reached: ${why}`),
    })
  }

  /** The dealer sent `interrupt` (cancel, timeout, caller gone) to the proxy of `t.session`. */
  forwardInterrupt(t: ProxyTransport, interrupt: unknown[]): void {
    const details = interrupt[2] as Dict
    // Only a `kill` cancel waits for the callee's answer: if the INTERRUPT cannot go, that answer
    // would never come, so the caller gets it now.
    const undeliveredKill: Undelivered = {
      undelivered: () => {
        const proxy = this.proxies.get(t.session)
        if (details.mode === 'kill' && proxy !== undefined)
          this.unreachable(proxy, interrupt[1] as number, ErrorUri.canceled, 'the call was canceled')
      },
    }
    if (!this.membership.reachable(t.node)) return undeliveredKill.undelivered('unreachable', false)
    const frame = interruptFrame(this.link.node, this.link.incarnation, t.session, interrupt)
    this.outbox.add(t.subject, frame.head, frame.message, undeliveredKill)
  }

  /**
   * The proxy's invocation `id` is answered here with error `uri`: after the dealer has finished
   * sending it (never from inside its send), as if the callee had answered.
   */
  private unreachable(proxy: Session, id: number, uri: string, why: string): void {
    queueMicrotask(() => this.realm.dealer.invocationError(proxy, id, uri, [why], undefined))
  }

  /**
   * NATS is away: answers to calls in flight to other nodes may never come, and answers from here
   * may never reach their callers. Both sides give the calls up at once instead of waiting: the
   * callers here get `canceled`, the callees here an INTERRUPT.
   */
  private linkLost(): void {
    this.outbox.discard()
    for (const proxy of this.proxies.all()) {
      for (const id of [...proxy.invocations.keys()])
        this.realm.dealer.invocationError(proxy, id, ErrorUri.canceled, ['the connection between the nodes was lost'], undefined)
    }
    for (const calling of this.callingNodes.values()) this.dropCallers(calling)
    this.callingNodes.clear()
  }

  // ── In: the callee's node ───────────────────────────────────────────────────────────────

  /** A message of frames from another node: each frame in order, one failing frame failing no other. */
  private received(msg: Msg): void {
    let frames: unknown[][]
    try {
      frames = decodeCallFrames(msg.data)
    } catch (err) {
      return this.onError(err, 'cluster: a message of calls from another node could not be read')
    }
    for (const m of frames) {
      try {
        if (m[0] === CallKind.invocation) this.invocation(m)
        else if (m[0] === CallKind.interrupt) this.interrupt(m)
        else if (m[0] === CallKind.answer) this.answered(m)
      } catch (err) {
        this.onError(err, m[0] === CallKind.answer ? 'cluster: an answer from another node' : `cluster: a call from node ${String(m[1])}`)
      }
    }
  }

  private invocation(m: unknown[]): void {
    const [, from, incarnation, target, directed, callerId, authid, authrole, invocation] = m as [
      number,
      string,
      string,
      number,
      boolean,
      number,
      string,
      string,
      unknown[],
    ]
    const [, id, registration, details, args, kwargs] = invocation as [number, number, number, Dict, Args, Kwargs]
    const calling = this.callingNode(from, incarnation)
    const callee = this.localCallee(target, registration)
    let refusal: string | undefined
    if (!this.realm.acceptingCalls) refusal = `node ${this.link.node} is shutting down`
    else if (callee === undefined) refusal = `session ${target} is no callee of registration ${registration} on node ${this.link.node}`
    else if (!directed && !callee.canTake)
      refusal = callee.eligible ? `session ${target} is at its concurrency cap` : `session ${target} takes no calls now (${callee.state})`
    if (refusal !== undefined || callee === undefined) {
      return this.send(calling, target, [MessageCode.ERROR, MessageCode.CALL, id, {}, ErrorUri.unavailable, [refusal]])
    }
    const caller = this.remoteCaller(calling, callerId, authid, authrole)
    // The same id twice from one life of a node: its counter went round (2^53 calls); the old one is long given up.
    if (calling.calls.has(id)) this.abandon(calling, id, 'canceled')
    calling.calls.set(id, { caller, callee: target })
    // The callee's node routes no further: `unavailable` goes back, and the calling node reroutes.
    const options: Dict = { [DIRECTED_CALLEE_OPTION]: target }
    if (details.receive_progress === true) options.receive_progress = true
    // The caller's node disclosed the caller (disclose_me): so does this one. Else the callee's own disclose_caller decides.
    if (details.caller !== undefined) options.disclose_me = true
    const procedure = typeof details.procedure === 'string' ? details.procedure : callee.registration.uri
    try {
      this.realm.dealer.callFromNode(caller, id, options, procedure, args, kwargs, callee)
    } catch (err) {
      calling.calls.delete(id)
      if (!(err instanceof RouterError)) throw err
      this.send(calling, target, [MessageCode.ERROR, MessageCode.CALL, id, {}, err.uri, [err.message]])
    }
  }

  private interrupt(m: unknown[]): void {
    const [, from, incarnation, , interrupt] = m as [number, string, string, number, [number, number, Dict]]
    const [, id, details] = interrupt
    const calling = this.callingNodes.get(from)
    const call = calling?.incarnation === incarnation ? calling.calls.get(id) : undefined
    if (calling === undefined || call === undefined) return // answered meanwhile
    // `kill` waits for the callee's answer (it comes back as the call's answer); the others do not.
    if (details.mode === 'kill') return this.realm.dealer.cancel(call.caller, id, { mode: 'kill' })
    // `skip` (between nodes only): forget the call, do not tell the callee.
    this.abandon(calling, id, details.reason === ErrorUri.timeout ? 'timeout' : 'canceled', details.mode !== 'skip')
  }

  private abandon(calling: CallingNode, id: number, reason: 'timeout' | 'canceled', interrupt = true): void {
    const call = calling.calls.get(id)
    if (call === undefined) return
    calling.calls.delete(id)
    this.realm.dealer.abandonCall(call.caller, id, reason, interrupt)
  }

  /** The callee of `session` (a session of this node) in registration `registration`. */
  private localCallee(session: number, registration: number): Callee | undefined {
    const s = this.realm.sessions.get(session)
    if (s === undefined || s.closed) return undefined
    for (const c of s.callees) if (c.registration.id === registration) return c
    return undefined
  }

  private callingNode(name: string, incarnation: string): CallingNode {
    let calling = this.callingNodes.get(name)
    if (calling?.incarnation !== incarnation) {
      // A new life of that node: the calls of its previous life are over (nobody waits for them).
      if (calling !== undefined) this.dropCallers(calling)
      calling = new CallingNode(name, incarnation, this.link.subjects.calls(name, this.realm.name))
      this.callingNodes.set(name, calling)
    }
    return calling
  }

  private remoteCaller(calling: CallingNode, id: number, authid: string, authrole: string): RemoteCaller {
    let caller = calling.callers.get(id)
    if (caller === undefined) {
      caller = new RemoteCaller(calling.name, id, this.realm, authid, authrole, this)
      calling.callers.set(id, caller)
    }
    caller.recentlyUsed = true
    return caller
  }

  /** The callers of `calling` leave: their calls here are interrupted and forgotten. */
  private dropCallers(calling: CallingNode): void {
    calling.calls.clear()
    for (const caller of calling.callers.values()) {
      caller.closed = true
      this.realm.dealer.detach(caller)
    }
    calling.callers.clear()
  }

  private forgetIdleCallers(): void {
    for (const calling of this.callingNodes.values()) {
      for (const [id, caller] of calling.callers) {
        if (caller.recentlyUsed || caller.calls.size > 0) caller.recentlyUsed = false
        else calling.callers.delete(id)
      }
    }
  }

  // ── Back: answers travel to the caller's node ───────────────────────────────────────────

  /** A RemoteCaller's RESULT or ERROR (the dealer here answered its call): to its node. */
  answer(caller: RemoteCaller, data: Buffer | string, message: unknown[]): void {
    const calling = this.callingNodes.get(caller.node)
    if (calling === undefined) return
    const result = message[0] === MessageCode.RESULT
    const id = (result ? message[1] : message[2]) as number
    const call = calling.calls.get(id)
    if (call === undefined) return
    if (!result || (message[2] as Dict).progress !== true) calling.calls.delete(id)
    const frame = answerFrame(call.callee, data)
    this.outbox.add(calling.answers, frame.head, frame.message, {
      // Too large for NATS: the caller gets an error instead of waiting for ever. (NATS closed: this node is leaving; the calling node gives the call up.)
      undelivered: (why, tooLarge) => {
        if (!tooLarge) return
        const error = [
          MessageCode.ERROR,
          MessageCode.CALL,
          id,
          {},
          ErrorUri.payloadSizeExceeded,
          [`the result is larger than NATS takes between nodes: ${why}`],
        ]
        this.send(calling, call.callee, error)
      },
    })
  }

  /** An answer made here (not by the callee). One that cannot go (NATS closed: this node is leaving) is dropped: the calling node gives the call up on its side. */
  private send(calling: CallingNode, callee: number, message: unknown[]): void {
    const frame = answerFrame(callee, msgpackSerializer.encode(message))
    this.outbox.add(calling.answers, frame.head, frame.message)
  }

  /** An answer from the callee's node: the proxy's YIELD or ERROR, to this node's dealer. */
  private answered(m: unknown[]): void {
    const [, callee, answer] = m as [number, number, unknown[]]
    const proxy = this.proxies.get(callee)
    if (proxy === undefined) return // dropped meanwhile: its callers were answered `canceled`
    if (answer[0] === MessageCode.RESULT) {
      this.realm.dealer.yield(proxy, answer[1] as number, answer[2] as Dict, answer[3] as Args, answer[4] as Kwargs)
    } else if (answer[0] === MessageCode.ERROR) {
      this.realm.dealer.invocationError(proxy, answer[2] as number, answer[4] as string, answer[5] as Args, answer[6] as Kwargs)
    }
  }
}
