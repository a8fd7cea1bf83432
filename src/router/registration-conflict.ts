import { ProcedureAlreadyExistsError } from './errors.js'
import type { InvokePolicy } from './registration.js'
import type { MatchPolicy } from './uri.js'

/** An existing registration of (URI, match), as the conflict rules see it. */
export interface ExistingRegistration {
  id: number
  match: MatchPolicy
  invoke: InvokePolicy
}

/**
 * The shared-registration rules (spec, "Shared Registration"; DESIGN): a second callee joins an
 * existing registration only with the same invoke policy, never a `single` one, and a session
 * only once. The error's kwargs name the existing policy. The one definition used by the single
 * router's dealer and by the cluster's registry (decided there on the KV record, atomically).
 */
export function registrationConflict(
  reg: ExistingRegistration,
  procedure: string,
  invoke: InvokePolicy,
  sessionIsCallee: boolean,
): ProcedureAlreadyExistsError | undefined {
  const existing = { registration: reg.id, match: reg.match, invoke: reg.invoke }
  if (reg.invoke !== invoke) {
    return new ProcedureAlreadyExistsError(
      `'${procedure}' (match ${reg.match}) is registered with invoke '${reg.invoke}', not '${invoke}'`,
      existing,
    )
  }
  if (invoke === 'single')
    return new ProcedureAlreadyExistsError(`'${procedure}' (match ${reg.match}) is registered with invoke 'single'`, existing)
  if (sessionIsCallee)
    return new ProcedureAlreadyExistsError(`this session already registered '${procedure}' (match ${reg.match})`, existing)
  return undefined
}
