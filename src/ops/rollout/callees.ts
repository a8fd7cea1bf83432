import { NotFoundError } from '../../client/errors.js'
import type { MetaClient } from '../../client/meta-client.js'
import type { RolloutRecord } from '../../protocol/rollout.js'
import { perSecond, sharesOf } from '../recent-rates.js'

export type CalleeRole = 'canary' | 'old' | 'new' | 'other'

/** A callee of the rollout's registration now, with its part in the rollout. */
export interface RolloutCallee {
  session: number
  authid: string | null
  role: CalleeRole
  state: string
  weight: number | null
  /** Weight before the rollout (null: not recorded). */
  start_weight: number | null
  /** Over the router's recent window, as every other view counts them (ops/recent-rates.ts); null when unknown. */
  calls_per_s: number | null
  /** Its share (0..1) of the registration's calls in the recent window. */
  share: number | null
  /** Lifetime totals since it registered. */
  calls: number | null
  errors: number | null
  inflight: number | null
  p99_ms: number | null
}

/** The registration's callees as they are now, each with its role in `r` (empty when the registration is gone). */
export async function rolloutCallees(meta: MetaClient, r: RolloutRecord): Promise<RolloutCallee[]> {
  let callees
  try {
    callees = (await meta.describe(r.registration)).callees
  } catch (err) {
    if (err instanceof NotFoundError) return []
    throw err
  }
  const roles = new Map<number, CalleeRole>()
  const start = new Map<number, number>()
  for (const o of r.old) {
    roles.set(o.session, 'old')
    start.set(o.session, o.weight)
  }
  for (const s of r.new_sessions) roles.set(s, 'new')
  if (r.canary !== null) {
    roles.set(r.canary.session, 'canary')
    start.set(r.canary.session, r.canary.weight)
  }
  const shares = sharesOf(callees.map((c) => c.recent?.calls ?? null))
  return callees.map((c, i) => ({
    session: c.session,
    authid: c.authid,
    role: roles.get(c.session) ?? 'other',
    state: c.state,
    weight: c.weight,
    start_weight: start.get(c.session) ?? null,
    calls_per_s: perSecond(c.recent?.calls ?? null, c.recent?.window_ms ?? null),
    share: shares[i] ?? null,
    calls: c.calls,
    errors: c.errors,
    inflight: c.inflight,
    p99_ms: c.p99_ms,
  }))
}
