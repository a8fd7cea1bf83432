import type { CalleeRecord, WeightRef } from '../../../protocol/rollout.js'
import type { Realm } from '../../realm.js'
import type { Registration } from '../../registration.js'
import { calleeControl, type CalleeControl } from '../callee-state.js'
import { drainCallees } from '../drain.js'
import { calleeOfSession } from './record.js'

export interface Restored {
  restored: WeightRef[]
  /** The canary left the traffic (weight 0, cordoned once its calls finished). */
  canaryOut: boolean
  /** Its calls in flight all finished within the drain timeout. */
  canaryDrained: boolean
  /** Callees left as they are, and why. */
  skipped: Array<{ session: number; reason: string }>
}

/**
 * Rollback, abort and undo all end the same way: every old callee still registered goes back to
 * the weight and state it had before the rollout (first, so some callee always takes calls), then
 * the canary leaves the traffic: weight 0 and drained, so it ends registered, weight 0, cordoned.
 * When no old callee is left to take calls, the canary keeps serving (never an outage).
 */
export async function restoreStart(
  realm: Realm,
  reg: Registration | undefined,
  old: CalleeRecord[],
  canary: number | null,
  drainTimeoutMs: number,
): Promise<Restored> {
  const out: Restored = { restored: [], canaryOut: false, canaryDrained: false, skipped: [] }
  if (reg === undefined) return out
  const control: CalleeControl = calleeControl(realm)
  for (const o of old) {
    const cur = calleeOfSession(reg.callees, o.session)
    if (cur === undefined) {
      out.skipped.push({ session: o.session, reason: 'no longer registered' })
      continue
    }
    if (cur.state === 'draining') {
      out.skipped.push({ session: o.session, reason: 'draining (a drain in progress cannot be undone)' })
      continue
    }
    if (cur.weight !== o.weight) control.setCalleeWeight(cur, o.weight)
    if (o.state === 'active' && cur.state !== 'active') control.setCalleeState(cur, 'active', 'rollout_restore')
    out.restored.push({ session: o.session, weight: o.weight })
  }
  const c = canary === null ? undefined : calleeOfSession(reg.callees, canary)
  if (c === undefined) return out
  // A cluster node: every node routes by the old callees' weights before the canary leaves.
  const ops = realm.cluster?.ops
  if (ops !== undefined) await ops.everywhere(reg)
  const othersServe = reg.callees.some((x) => x !== c && x.eligible)
  if (!othersServe) {
    out.skipped.push({ session: c.session.id, reason: 'the canary is the only callee left taking calls: kept as it is' })
    return out
  }
  if (c.state === 'draining') {
    out.skipped.push({ session: c.session.id, reason: 'draining (a drain in progress cannot be undone)' })
    return out
  }
  control.setCalleeWeight(c, 0)
  out.canaryOut = true
  const r = await drainCallees(realm, [c], { timeoutMs: drainTimeoutMs, then: 'none' }).done
  out.canaryDrained = r.drained
  return out
}
