import type { CalleeState } from '../protocol/extensions.js'
import { takesCalls } from '../protocol/takes-calls.js'
import { CallQueue } from './call-queue.js'
import { CallStats } from './call-stats.js'
import { LoadLadder, type Bucket } from './load-ladder.js'
import { calleeSeed } from './rendezvous.js'
import { RecentWindow } from './recent-window.js'
import type { MatchPolicy } from './uri.js'
import type { Session } from './session.js'

export type InvokePolicy = 'single' | 'roundrobin' | 'random' | 'first' | 'last' | 'least_loaded'
/** The five policies of the WAMP spec. */
export const SPEC_INVOKE_POLICIES: readonly InvokePolicy[] = ['single', 'roundrobin', 'random', 'first', 'last']
/** wampctl's own (served with the extensions): docs/routing.md. */
export const EXTENSION_INVOKE_POLICIES: readonly InvokePolicy[] = ['least_loaded']

/** Concurrency of a callee registered without a cap (a small integer, so comparisons stay fast). */
export const UNLIMITED = 0x7fff_ffff
/** Largest `concurrency` a callee may ask for. */
export const MAX_CONCURRENCY = 1_000_000

/** One session attached to one registration, with its routing state and statistics. */
export class Callee {
  /** Written only by the dealer (Dealer.setCalleeState), which re-ranks the callee and publishes the change. */
  state: CalleeState = 'active'
  /** Written only through Registration.setWeight (by the dealer): the registration counts reweighted callees. */
  weight = 1
  /** Smooth weighted round-robin accumulator (nginx's algorithm). */
  current = 0
  /** Invocations sent and not yet answered (or given up on). The dealer alone counts them. */
  inflight = 0
  /** False once unregistered (its invocations in flight may still be answered). */
  attached = true
  /** Its bucket on the registration's least-loaded ladder, and its neighbours there. */
  rung: Bucket | undefined
  rungPrev: Callee | undefined
  rungNext: Callee | undefined
  readonly stats = new CallStats()
  readonly registeredAt = Date.now()
  /** Rendezvous-hashing identity (sticky routing keys). */
  readonly seed: number
  /** Counters at the last stats ticks: the recent window of snapshot/describe. */
  readonly recent = new RecentWindow(this.registeredAt)
  private registeredIso: string | undefined

  constructor(
    readonly registration: Registration,
    readonly session: Session,
    /** REGISTER.Options.disclose_caller: this callee wants to know who calls. */
    readonly discloseCaller: boolean,
    /** Give up on each invocation after this many ms (REGISTER `_deadline_ms`, else the realm's); 0 = never. */
    readonly deadlineMs = 0,
    /** REGISTER.Options.concurrency: most calls in flight at once; UNLIMITED when not capped. */
    readonly concurrency: number = UNLIMITED,
  ) {
    this.seed = calleeSeed(session.id)
  }

  /** registeredAt as ISO 8601, made once (snapshots ask for it again and again). */
  get registeredAtIso(): string {
    return (this.registeredIso ??= new Date(this.registeredAt).toISOString())
  }

  /** In rotation: may receive new invocations when it has room. */
  get eligible(): boolean {
    return takesCalls(this)
  }

  /** In rotation and under its concurrency cap. */
  get canTake(): boolean {
    return takesCalls(this) && this.inflight < this.concurrency
  }
}

/**
 * A registration: keyed by (URI, match policy), one id shared by all its callees (spec, Crossbar,
 * Nexus). Callees are kept in registration order; the dealer alone mutates this.
 */
export class Registration {
  readonly callees: Callee[] = []
  /** Index of the callee round-robin offers next; re-based on removal so nobody is skipped or doubled. */
  rrNext = 0
  /** Callees whose weight is not 1: when 0, roundrobin/random take their O(1) unweighted path. */
  reweighted = 0
  /** Calls waiting for a callee with room (concurrency caps); created on the first wait. */
  queue: CallQueue | undefined
  /** least_loaded only: the callees that can take a call, by load. */
  readonly ladder: LoadLadder | undefined
  private createdIso: string | undefined

  constructor(
    readonly id: number,
    readonly uri: string,
    readonly match: MatchPolicy,
    readonly invoke: InvokePolicy,
    /** When the registration was first made (a cluster's registry says when, for every node). */
    readonly createdAt = new Date(),
  ) {
    this.ladder = invoke === 'least_loaded' ? new LoadLadder() : undefined
  }

  /** Calls waiting in this registration's queue. */
  get queued(): number {
    return this.queue?.length ?? 0
  }

  waitQueue(): CallQueue {
    return (this.queue ??= new CallQueue())
  }

  /** ISO 8601, made once: a snapshot of 10,000 registrations asks for every one of them. */
  get created(): string {
    return (this.createdIso ??= this.createdAt.toISOString())
  }

  calleeOf(session: Session): Callee | undefined {
    for (const c of this.callees) if (c.session === session) return c
    return undefined
  }

  /** Append `callee`, or put it at index `at` (a cluster node re-attaching a callee in its registry order). */
  add(callee: Callee, at = this.callees.length): void {
    if (at >= this.callees.length) this.callees.push(callee)
    else {
      this.callees.splice(at, 0, callee)
      // Keep round-robin pointing at the same next callee: one inserted before it shifts it right.
      if (at <= this.rrNext) this.rrNext++
    }
    this.ladder?.refresh(callee, callee.eligible)
  }

  remove(callee: Callee): boolean {
    const i = this.callees.indexOf(callee)
    if (i < 0) return false
    this.callees.splice(i, 1)
    callee.attached = false
    this.ladder?.remove(callee)
    if (callee.weight !== 1) this.reweighted--
    // Keep round-robin pointing at the same next callee: removing one before it shifts it left.
    if (i < this.rrNext) this.rrNext--
    if (this.rrNext >= this.callees.length) this.rrNext = 0
    return true
  }

  setWeight(callee: Callee, weight: number): void {
    if (callee.weight !== 1) this.reweighted--
    callee.weight = weight
    callee.current = 0
    if (weight !== 1) this.reweighted++
    for (const c of this.callees) c.current = 0
    this.ladder?.refresh(callee, callee.eligible && callee.attached)
  }

  /** A callee's state changed (cordon, drain, uncordon): on or off the least-loaded ladder. */
  stateChanged(callee: Callee): void {
    this.ladder?.refresh(callee, callee.eligible && callee.attached)
  }

  /** Plain details as `wamp.registration.get` returns them. */
  details(): { id: number; created: string; uri: string; match: MatchPolicy; invoke: InvokePolicy } {
    return { id: this.id, created: this.created, uri: this.uri, match: this.match, invoke: this.invoke }
  }
}
