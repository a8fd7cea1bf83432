import type { MetaClient } from '../client/meta-client.js'
import { requireOperations } from './capabilities.js'
import { calleeRegistrations } from './callee-registrations.js'
import { assertSafe, planDrain } from './drain-safety.js'
import { resolveSession } from './session-target.js'

/** One registration whose callee state a cordon or uncordon set. */
export interface CordonChange {
  registration: number
  uri: string
  /** State before: active, cordoned or draining. */
  before: string
  /** State now. */
  state: 'cordoned' | 'active'
  /** false when it was already in that state. */
  changed: boolean
}

/** What `wampctl cordon|uncordon` did (the --json shape). */
export interface CordonReport {
  session: number
  authid: string | null
  state: 'cordoned' | 'active'
  registrations: CordonChange[]
}

/**
 * Stop (`cordon`) or resume (`uncordon`) routing new calls to a callee: on the registration `uri`
 * names, or on all of the session's. `sessionRef` is a session id or an authid naming one session.
 * Cordoning the last callee that takes calls is refused
 * (SafetyError, exit 4) unless `force`: calls would fail with no_available_callee.
 */
export async function setCordon(
  meta: MetaClient,
  sessionRef: string,
  options: { uri?: string; cordon: boolean; force?: boolean },
): Promise<CordonReport> {
  await requireOperations(meta, options.cordon ? 'cordon' : 'uncordon')
  const session = await resolveSession(meta, sessionRef, meta.client.sessionId)
  const regs = await calleeRegistrations(meta, session.session, options.uri)
  if (options.cordon) assertSafe(planDrain(session.session, session.authid, regs), 'cordon', options.force === true)
  const target = options.uri === undefined ? undefined : regs[0]!.id
  const done = options.cordon ? await meta.cordon(session.session, target) : await meta.uncordon(session.session, target)
  const state = options.cordon ? 'cordoned' : 'active'
  const touched = new Set(done.registrations)
  const rows = regs
    .filter((r) => touched.has(r.id))
    .map((r): CordonChange => {
      const before = r.callees.find((c) => c.session === session.session)?.state ?? 'unknown'
      return { registration: r.id, uri: r.uri, before, state, changed: before !== state }
    })
  return { session: session.session, authid: session.authid, state, registrations: rows }
}
