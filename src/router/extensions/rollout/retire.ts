import type { CalleeRef, RolloutEvent, RolloutRecord } from '../../../protocol/rollout.js'
import type { Realm } from '../../realm.js'
import { drainCallees } from '../drain.js'
import { calleeOfSession } from './record.js'

/** What retiring needs from the run doing it. */
export interface Retirer {
  readonly record: RolloutRecord
  readonly signal: AbortSignal
  report(e: RolloutEvent): void
}

export type RetireOutcome = 'unregistered' | 'gone' | 'timeout'

/**
 * Drain one old callee and unregister it: out of rotation at once, its calls in flight finish,
 * then the router revokes its registration. No call is dropped: on timeout it stays cordoned.
 */
export async function retireOne(
  realm: Realm,
  run: Retirer,
  callee: CalleeRef,
  timeoutMs: number,
  position: { index: number; of: number },
): Promise<{ outcome: RetireOutcome; inflight: number }> {
  if (run.signal.aborted) throw run.signal.reason
  run.report({ event: 'retire', callee, index: position.index, of: position.of })
  const c = calleeOfSession(realm.dealer.byId.get(run.record.registration)?.callees ?? [], callee.session)
  if (c === undefined) {
    run.report({ event: 'retired', callee, outcome: 'gone', elapsed_ms: 0, drained: true })
    return { outcome: 'gone', inflight: 0 }
  }
  const r = await drainCallees(realm, [c], { timeoutMs, then: 'unregister' }, (p) =>
    run.report({ event: 'drain-progress', session: p.session, inflight: p.inflight }),
  ).done
  const outcome: RetireOutcome = r.drained ? 'unregistered' : 'timeout'
  if (r.drained) run.record.retired.push(callee.session)
  run.report({ event: 'retired', callee, outcome, elapsed_ms: r.elapsed_ms, drained: r.drained })
  return { outcome, inflight: r.inflight }
}

/** Retire the old callees one by one; returns the sessions whose drain timed out. */
export async function retireOld(run: Retirer & { readonly realmOf: Realm }, old: CalleeRef[], timeoutMs: number): Promise<number[]> {
  const stuck: number[] = []
  for (let i = 0; i < old.length; i++) {
    const c = old[i]!
    const r = await retireOne(run.realmOf, run, { session: c.session, authid: c.authid }, timeoutMs, { index: i + 1, of: old.length })
    if (r.outcome === 'timeout') stuck.push(c.session)
  }
  return stuck
}
