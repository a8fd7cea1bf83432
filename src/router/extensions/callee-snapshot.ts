import type { CalleeStats, RegistrationSnapshot } from '../../protocol/extensions.js'
import { UNLIMITED, type Callee, type Registration } from '../registration.js'

/** The wire shapes of the extensions, built from live dealer state. */
export function calleeSnapshot(c: Callee, now = Date.now()): CalleeStats {
  return {
    session: c.session.id,
    authid: c.session.authid,
    authrole: c.session.authrole,
    state: c.state,
    weight: c.weight,
    concurrency: c.concurrency === UNLIMITED ? null : c.concurrency,
    calls: c.stats.calls,
    errors: c.stats.errors,
    inflight: c.inflight,
    oldest_inflight_ms: oldestInflightMs(c),
    timeouts: c.stats.timeouts,
    deadline_ms: c.deadlineMs,
    p50_ms: c.stats.percentileMs(0.5),
    p99_ms: c.stats.percentileMs(0.99),
    last_call_at: c.stats.lastCallAt === 0 ? null : new Date(c.stats.lastCallAt).toISOString(),
    registered_at: new Date(c.registeredAt).toISOString(),
    recent: c.recent.read(c.stats.calls, c.stats.errors, now),
  }
}

/**
 * Age of the callee's oldest invocation in flight. Its session's invocations are kept in the order
 * they were sent, so the first one of this callee is the oldest: O(calls in flight), only when asked.
 */
function oldestInflightMs(c: Callee): number | null {
  if (c.inflight === 0) return null
  for (const inv of c.session.invocations.values()) {
    if (inv.callee === c) return Math.round(performance.now() - inv.startedAt)
  }
  return null
}

export function registrationSnapshot(r: Registration): RegistrationSnapshot {
  const now = Date.now()
  return { ...r.details(), queued: r.queued, callees: r.callees.map((c) => calleeSnapshot(c, now)) }
}
