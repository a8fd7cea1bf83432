import { ErrorUri } from '../protocol/error-uris.js'
import { CallError, NotFoundError } from '../client/errors.js'
import type { MetaClient } from '../client/meta-client.js'

/** What a mutation did: done, and the router's error when it answered one although it was done. */
export interface CheckedOutcome {
  /** `uri (message)` of an error the router answered although the check shows the change made. */
  routerError: string | null
}

/**
 * Run a mutation whose error does not always mean "nothing happened": a foreign router may change
 * the state and still answer an ERROR (Crossbar 21–25's remove_callee removes the callee, then
 * answers wamp.error.runtime_error). On a CallError, `done()` looks at the state (list_callees,
 * session.get): changed → done, with the error as a note; unchanged → the error stands. Errors
 * that say nothing was tried (not authorized, no such procedure, not found, a lost connection)
 * are not checked.
 */
export async function checkedOutcome(mutation: () => Promise<unknown>, done: () => Promise<boolean>): Promise<CheckedOutcome> {
  try {
    await mutation()
    return { routerError: null }
  } catch (err) {
    if (!(err instanceof CallError) || err.uri === ErrorUri.noSuchProcedure || err.exitCode === 3) throw err
    if (!(await done())) throw err
    const detail = typeof err.args[0] === 'string' && err.args[0] !== err.uri ? ` (${err.args[0]})` : ''
    return { routerError: `${err.uri}${detail}` }
  }
}

/** The session has left the realm (wamp.session.get says no such session). */
export async function sessionGone(meta: MetaClient, session: number): Promise<boolean> {
  try {
    await meta.session(session)
    return false
  } catch (err) {
    if (err instanceof NotFoundError) return true
    throw err
  }
}
