import { DIRECTED_CALLEE_OPTION } from '../protocol/rollout.js'
import { InvalidArgumentError, NoAvailableCalleeError, NoSuchSessionError, NotAuthorizedError } from './errors.js'
import type { Realm } from './realm.js'
import type { Callee, Registration } from './registration.js'
import type { Session } from './session.js'

/**
 * A directed call (CALL option `_callee: SESSION`): the one callee of `reg` on that session takes
 * the call, whatever its weight or state, and nobody else (no rerouting). A rollout's probe checks
 * the canary this way; an operator can too (`wampctl call URI --callee SESSION`). Admin roles
 * only: an ordinary caller must not pick (or overload) one instance. Costs O(registrations of
 * that session), never a scan of the registration's callees.
 */
export function directedCallee(realm: Realm, caller: Session, reg: Registration, target: unknown): Callee {
  if (!caller.admin) {
    throw new NotAuthorizedError(
      `the CALL option ${DIRECTED_CALLEE_OPTION} (a directed call) needs an admin role; '${caller.authrole}' is not one`,
    )
  }
  if (typeof target !== 'number' || !Number.isSafeInteger(target)) {
    throw new InvalidArgumentError(`the CALL option ${DIRECTED_CALLEE_OPTION} must be a session id`)
  }
  // A callee of another cluster node is its session's proxy there.
  const session = realm.sessions.get(target) ?? realm.cluster?.remoteSessions.get(target)
  if (session === undefined) throw new NoSuchSessionError(target)
  for (const c of session.callees) if (c.registration === reg) return c
  throw new NoAvailableCalleeError(reg.uri, `session ${target} is not a callee of this registration`)
}

/** The call names its callee (see directedCallee). */
export function isDirected(options: Record<string, unknown>): boolean {
  return options[DIRECTED_CALLEE_OPTION] !== undefined
}
