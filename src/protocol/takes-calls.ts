import type { CalleeState } from './extensions.js'

/** A callee takes new calls when it is active and its traffic weight is above 0. The one definition used by the router, ops and the live views. */
export function takesCalls(callee: { state: CalleeState; weight: number }): boolean {
  return callee.state === 'active' && callee.weight > 0
}
