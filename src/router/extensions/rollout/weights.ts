import type { CalleeState } from '../../../protocol/extensions.js'
import type { CalleeRecord } from '../../../protocol/rollout.js'
import { takesCalls } from '../../../protocol/takes-calls.js'

/**
 * The canary weight that gives it `percent` of the traffic next to old callees whose weights add
 * up to `oldSum`: canary / (canary + oldSum) = percent / 100. Under 100 only (at 100 the old
 * callees go to weight 0 instead). Six significant digits: the router takes fractional weights.
 */
export function canaryWeight(percent: number, oldSum: number): number {
  if (!(percent > 0 && percent < 100)) throw new RangeError(`canaryWeight: percent must be above 0 and below 100, not ${percent}`)
  if (!(oldSum > 0)) throw new RangeError('canaryWeight: the old callees must have some weight')
  return Number(((oldSum * percent) / (100 - percent)).toPrecision(6))
}

/** The weight of the callees that took calls when the rollout began (active, weight above 0). */
export function activeWeight(callees: CalleeRecord[]): number {
  return callees.filter((c) => takesCalls({ state: c.state as CalleeState, weight: c.weight })).reduce((sum, c) => sum + c.weight, 0)
}
