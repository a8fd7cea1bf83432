import type { CalleeState, CalleeStateEvent } from '../../protocol/extensions.js'
import { ExtensionUri } from '../../protocol/extensions.js'
import { InvalidArgumentError, NoSuchRegistrationError, NoSuchSessionError } from '../errors.js'
import type { Realm } from '../realm.js'
import type { Callee } from '../registration.js'

/**
 * The callees an extension call targets: every registration of `sessionId`, or just `registrationId`.
 * Unknown session → no_such_session; a registration the session is not a callee of → no_such_registration.
 */
export function targetCallees(realm: Realm, sessionId: unknown, registrationId: unknown): Callee[] {
  if (typeof sessionId !== 'number') throw new InvalidArgumentError('argument 1 (session) must be a session id')
  const session = realm.sessions.get(sessionId)
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

/** Change a callee's state and tell wampctl.callee.on_state subscribers. */
export function setState(realm: Realm, callee: Callee, state: CalleeState, cause: string): void {
  if (callee.state === state && cause !== 'set_weight') return
  callee.state = state
  realm.dealer.calleeChanged(callee)
  publishState(realm, callee, cause)
}

/** Change a callee's traffic weight through its registration (the one writer) and tell wampctl.callee.on_state subscribers. */
export function setWeight(realm: Realm, callee: Callee, weight: number): void {
  callee.registration.setWeight(callee, weight)
  realm.dealer.calleeChanged(callee)
  publishState(realm, callee, 'set_weight')
}

export function publishState(realm: Realm, callee: Callee, cause: string): void {
  const event: CalleeStateEvent = {
    registration: callee.registration.id,
    uri: callee.registration.uri,
    session: callee.session.id,
    state: callee.state,
    weight: callee.weight,
    cause,
  }
  realm.publishMeta(ExtensionUri.onState, [event])
}
