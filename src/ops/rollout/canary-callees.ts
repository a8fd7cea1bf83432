import { UsageError } from '../../client/errors.js'
import type { CalleeView, RegistrationView } from '../../client/views.js'
import type { CalleeState } from '../../protocol/extensions.js'
import { takesCalls } from '../../protocol/takes-calls.js'
import type { CalleeRecord } from './state-file.js'

/** How the operator names the canary: its session id, or the authid it connects with. */
export type CanarySelector = { session: number } | { authid: string }

/** The canary among a registration's callees; `exclude` (the old callees) never qualify. */
export function pickCanary(reg: RegistrationView, selector: CanarySelector, exclude: ReadonlySet<number>): CalleeView | undefined {
  if ('session' in selector) return reg.callees.find((c) => c.session === selector.session && !exclude.has(c.session))
  const matches = reg.callees.filter((c) => c.authid === selector.authid && !exclude.has(c.session))
  if (matches.length > 1) {
    throw new UsageError(
      `${matches.length} callees of ${reg.uri} have authid '${selector.authid}' (sessions ${matches.map((c) => c.session).join(', ')}): pick one with --canary SESSION`,
    )
  }
  return matches[0]
}

export function record(c: CalleeView): CalleeRecord {
  return { session: c.session, authid: c.authid, weight: c.weight ?? 1, state: c.state }
}

/** The weight of the callees that took calls when the rollout began (active, weight above 0). */
export function activeWeight(callees: CalleeRecord[]): number {
  return callees.filter((c) => takesCalls({ state: c.state as CalleeState, weight: c.weight })).reduce((sum, c) => sum + c.weight, 0)
}
