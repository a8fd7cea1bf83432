import type { CalleeState } from '../../protocol/extensions.js'
import { InvalidArgumentError, NoSuchRegistrationError, NoSuchSessionError } from '../errors.js'
import type { Realm } from '../realm.js'
import type { Callee } from '../registration.js'

/**
 * The callees an extension call targets: every registration of `sessionId`, or just `registrationId`.
 * Unknown session → no_such_session; a registration the session is not a callee of → no_such_registration.
 */
export function targetCallees(realm: Realm, sessionId: unknown, registrationId: unknown): Callee[] {
  if (typeof sessionId !== 'number') throw new InvalidArgumentError('argument 1 (session) must be a session id')
  // A cluster node also knows the sessions of the other nodes (their callees are in its dealer).
  const session = realm.sessions.get(sessionId) ?? realm.cluster?.remoteSessions.get(sessionId)
  if (session === undefined) throw new NoSuchSessionError(sessionId)
  if (registrationId === undefined || registrationId === null) {
    const all = [...session.callees]
    if (all.length === 0) throw new NoSuchRegistrationError(`(session ${sessionId} has no registrations)`)
    return all
  }
  if (typeof registrationId !== 'number') throw new InvalidArgumentError('argument 2 (registration) must be a registration id')
  const reg = realm.dealer.byId.get(registrationId)
  const callee = reg?.calleeOf(session)
  if (callee === undefined) throw new NoSuchRegistrationError(registrationId)
  return [callee]
}

/**
 * What the extensions may change on a callee: its state and weight, always through the dealer,
 * the one writer (it re-ranks the callee, serves waiting calls and publishes wampctl.callee.on_state).
 */
export interface CalleeControl {
  setCalleeState(callee: Callee, state: CalleeState, cause: string): void
  setCalleeWeight(callee: Callee, weight: number): void
}

/**
 * The dealer; on a cluster node, the cluster's (cluster/ops.ts): the same change here at once,
 * and in the registry for every other node's replica.
 */
export function calleeControl(realm: Realm): CalleeControl {
  return realm.cluster?.ops ?? realm.dealer
}
