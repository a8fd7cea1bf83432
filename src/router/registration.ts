import type { CalleeState } from '../protocol/extensions.js'
import { takesCalls } from '../protocol/takes-calls.js'
import { CallStats } from './call-stats.js'
import type { MatchPolicy } from './uri.js'
import type { Session } from './session.js'

export type InvokePolicy = 'single' | 'roundrobin' | 'random' | 'first' | 'last'
export const INVOKE_POLICIES: readonly InvokePolicy[] = ['single', 'roundrobin', 'random', 'first', 'last']

/** One session attached to one registration, with its routing state and statistics. */
export class Callee {
  state: CalleeState = 'active'
  weight = 1
  /** Smooth weighted round-robin accumulator (nginx's algorithm). */
  current = 0
  readonly stats = new CallStats()
  readonly registeredAt = Date.now()

  constructor(
    readonly registration: Registration,
    readonly session: Session,
    /** REGISTER.Options.disclose_caller: this callee wants to know who calls. */
    readonly discloseCaller: boolean,
    /** Give up on each invocation after this many ms (REGISTER `_deadline_ms`, else the realm's); 0 = never. */
    readonly deadlineMs = 0,
  ) {}

  /** May receive new invocations. */
  get eligible(): boolean {
    return takesCalls(this)
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
  readonly createdAt = new Date()

  constructor(
    readonly id: number,
    readonly uri: string,
    readonly match: MatchPolicy,
    readonly invoke: InvokePolicy,
  ) {}

  get created(): string {
    return this.createdAt.toISOString()
  }

  calleeOf(session: Session): Callee | undefined {
    for (const c of this.callees) if (c.session === session) return c
    return undefined
  }

  add(callee: Callee): void {
    this.callees.push(callee)
  }

  remove(callee: Callee): boolean {
    const i = this.callees.indexOf(callee)
    if (i < 0) return false
    this.callees.splice(i, 1)
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
  }

  /** Plain details as `wamp.registration.get` returns them. */
  details(): { id: number; created: string; uri: string; match: MatchPolicy; invoke: InvokePolicy } {
    return { id: this.id, created: this.created, uri: this.uri, match: this.match, invoke: this.invoke }
  }
}
