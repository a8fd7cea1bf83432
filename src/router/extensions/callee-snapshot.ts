import type { CalleeStats, RegistrationSnapshot } from '../../protocol/extensions.js'
import type { Callee, Registration } from '../registration.js'

/** The wire shapes of the extensions, built from live dealer state. */
export function calleeSnapshot(c: Callee): CalleeStats {
  return {
    session: c.session.id,
    authid: c.session.authid,
    authrole: c.session.authrole,
    state: c.state,
    weight: c.weight,
    calls: c.stats.calls,
    errors: c.stats.errors,
    inflight: c.stats.inflight,
    p50_ms: c.stats.percentileMs(0.5),
    p99_ms: c.stats.percentileMs(0.99),
    last_call_at: c.stats.lastCallAt === 0 ? null : new Date(c.stats.lastCallAt).toISOString(),
    registered_at: new Date(c.registeredAt).toISOString(),
  }
}

export function registrationSnapshot(r: Registration): RegistrationSnapshot {
  return { ...r.details(), callees: r.callees.map(calleeSnapshot) }
}
