import type { CalleeStats, RegistrationSnapshot } from '../../protocol/extensions.js'
import { UNLIMITED, type Callee, type Registration } from '../registration.js'
import type { Session } from '../session.js'

/**
 * The wire shapes of the extensions, built from live dealer state. A snapshot of 10,000
 * registrations builds 10,000 of these at once, so the work per callee is kept small: the ISO
 * times are made once (registered_at never changes, last_call_at only when a call comes), both
 * percentiles come from one walk of the histogram, the clocks are read once per snapshot, and the
 * oldest call in flight is found in one pass over each session's invocations.
 */
export class SnapshotBuilder {
  private readonly now = Date.now()
  private readonly monotonicNow = performance.now()
  /** Per session with calls in flight: when each of its callees' oldest invocation started. */
  private readonly oldestStarts = new Map<Session, Map<Callee, number>>()

  registration(r: Registration): RegistrationSnapshot {
    return {
      id: r.id,
      created: r.created,
      uri: r.uri,
      match: r.match,
      invoke: r.invoke,
      queued: r.queued,
      callees: r.callees.map((c) => this.callee(c)),
    }
  }

  callee(c: Callee): CalleeStats {
    const [p50, p99] = c.stats.percentilesMs(0.5, 0.99)
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
      oldest_inflight_ms: this.oldestInflightMs(c),
      timeouts: c.stats.timeouts,
      deadline_ms: c.deadlineMs,
      p50_ms: p50,
      p99_ms: p99,
      last_call_at: c.stats.lastCallAtIso(),
      registered_at: c.registeredAtIso,
      recent: c.recent.read(c.stats.calls, c.stats.errors, this.now),
    }
  }

  /**
   * Age of the callee's oldest invocation in flight. A session's invocations are kept in the order
   * they were sent, so a callee's first one is its oldest: one pass per session finds them all
   * (a scan per callee would be quadratic for a session serving thousands of registrations).
   */
  private oldestInflightMs(c: Callee): number | null {
    if (c.inflight === 0) return null
    let starts = this.oldestStarts.get(c.session)
    if (starts === undefined) {
      starts = new Map()
      for (const inv of c.session.invocations.values()) if (!starts.has(inv.callee)) starts.set(inv.callee, inv.startedAt)
      this.oldestStarts.set(c.session, starts)
    }
    const startedAt = starts.get(c)
    return startedAt === undefined ? null : Math.round(this.monotonicNow - startedAt)
  }
}

/** One callee's statistics, as describe and snapshot give them. */
export function calleeSnapshot(c: Callee): CalleeStats {
  return new SnapshotBuilder().callee(c)
}

/** One registration with its callees (wampctl.registration.describe). */
export function registrationSnapshot(r: Registration): RegistrationSnapshot {
  return new SnapshotBuilder().registration(r)
}

/** Every registration of a dealer, in one snapshot (wampctl.registration.snapshot). */
export function registrationsSnapshot(registrations: Iterable<Registration>): RegistrationSnapshot[] {
  const builder = new SnapshotBuilder()
  const out: RegistrationSnapshot[] = []
  for (const r of registrations) out.push(builder.registration(r))
  return out
}
