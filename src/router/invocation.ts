import type { Args, Dict, Kwargs } from './inbound.js'
import type { Callee } from './registration.js'
import type { Session } from './session.js'

/**
 * One call in flight: the caller's CALL request and the INVOCATION sent to a callee. Indexed by
 * the caller (session.calls, by CALL.Request) and by the callee (session.invocations, by
 * INVOCATION.Request), so answers, cancels and session loss find it in O(1).
 */
export class Invocation {
  /** The caller's timeout or the callee's deadline, whichever comes first. */
  timer: NodeJS.Timeout | undefined
  /** Callees that answered wamp.error.unavailable (call rerouting); created on first reroute. */
  tried: Set<Callee> | undefined

  constructor(
    /** INVOCATION.Request, unique within the callee's session. */
    public id: number,
    readonly caller: Session,
    readonly callRequest: number,
    public callee: Callee,
    public startedAt: number,
    readonly procedure: string,
    readonly options: Dict,
    readonly args: Args,
    readonly kwargs: Kwargs,
    /** The caller asked for progressive results and can get them. */
    readonly receiveProgress: boolean,
  ) {}
}
