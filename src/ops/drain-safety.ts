import { SafetyError } from '../client/errors.js'
import { viewTakesCalls, type RegistrationView } from '../client/views.js'

/** One registration a drain (or cordon) takes the callee out of. */
export interface PlannedRegistration {
  id: number
  uri: string
  invoke: string
  /** The callee's state there now: active, cordoned, draining (unknown without the extensions). */
  state: string
  /** Its calls in flight there now (null: unknown). */
  inflight: number | null
  /** Other callees that would keep serving: those that take calls (active, weight > 0). */
  other_active: number[]
  /** false when the callee is the last one taking calls: new calls would fail with no_available_callee. */
  safe: boolean
}

/** What taking `session` out of rotation would do, before anything changes (`--dry-run`). */
export interface DrainPlan {
  session: number
  authid: string | null
  registrations: PlannedRegistration[]
  /** Its calls in flight over all those registrations now (null: unknown). */
  inflight: number | null
  /** true when every registration keeps at least one active callee. */
  safe: boolean
  /** URIs that would be left with no active callee. */
  blocked: string[]
}

/** The plan for taking `session` out of `registrations` (each with all its callees). */
export function planDrain(session: number, authid: string | null, registrations: RegistrationView[]): DrainPlan {
  const planned = registrations.map((reg): PlannedRegistration => {
    const self = reg.callees.find((c) => c.session === session)
    const others = reg.callees.filter((c) => c.session !== session && viewTakesCalls(c)).map((c) => c.session)
    return {
      id: reg.id,
      uri: reg.uri,
      invoke: reg.invoke,
      state: self?.state ?? 'unknown',
      inflight: self?.inflight ?? null,
      other_active: others,
      // Already out of rotation (cordoned, draining, weight 0): taking it out changes nothing.
      safe: others.length > 0 || self === undefined || !viewTakesCalls(self),
    }
  })
  const counts = planned.map((p) => p.inflight)
  const inflight = counts.every((n): n is number => n !== null) ? counts.reduce((a, b) => a + b, 0) : null
  const blocked = planned.filter((p) => !p.safe).map((p) => p.uri)
  return { session, authid, registrations: planned, inflight, safe: blocked.length === 0, blocked }
}

/**
 * Refuse (SafetyError, exit 4) a plan that would leave a registration with no active callee,
 * unless forced: new calls to it would fail with wamp.error.no_available_callee.
 */
export function assertSafe(plan: DrainPlan, verb: string, force: boolean): void {
  if (plan.safe || force) return
  throw new SafetyError(refusal(plan, verb))
}

/** Why `verb` is refused for `plan` (SafetyError's message, and what a dry run reports). */
export function refusal(plan: DrainPlan, verb: string): string {
  const uris = plan.blocked.join(', ')
  return `refusing to ${verb} session ${plan.session}: it is the last active callee of ${uris} (calls would fail with wamp.error.no_available_callee); start or uncordon another callee first, or pass --force`
}
