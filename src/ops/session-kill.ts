import type { MetaClient } from '../client/meta-client.js'
import type { RegistrationView, SessionView } from '../client/views.js'
import { assertSafe, planDrain, type DrainPlan } from './drain-safety.js'
import { resolveSession } from './session-target.js'
import { checkedOutcome, sessionGone } from './uncertain-outcome.js'

/** Who a kill would close, and what it serves (for the confirmation, the safety check and --dry-run). */
export interface KillPlan {
  session: SessionView
  /** The registrations it is a callee of (none for a caller or subscriber). */
  registrations: RegistrationView[]
  /** The safety check (the same as drain's and evict's). */
  safety: DrainPlan
}

/** What `wampctl sessions kill` did (the --json shape). */
export interface KillReport {
  session: number
  authid: string | null
  killed: boolean
  dry_run: boolean
  reason: string | null
  message: string | null
  /** URIs it was a callee of. */
  registrations: string[]
  /** The safety check failed (it was the last callee taking calls somewhere) and --force overrode it. */
  forced: boolean
  /** Errors the router answered although the session is gone (checked afterwards), in words. */
  notes: string[]
}

/** `sessionRef`: a session id or an authid naming one session (never our own). */
export async function planKill(meta: MetaClient, sessionRef: string): Promise<KillPlan> {
  const session = await resolveSession(meta, sessionRef, meta.client.sessionId)
  const snapshot = await meta.snapshot()
  const registrations = snapshot.registrations
    .filter((r) => r.callees.some((c) => c.session === session.session))
    .sort((a, b) => a.uri.localeCompare(b.uri) || a.id - b.id)
  return { session, registrations, safety: planDrain(session.session, session.authid, registrations) }
}

/**
 * Close a session with wamp.session.kill. Refused (SafetyError, exit 4) when it is the last
 * callee taking calls of a registration, unless `force`. An error answered although the session
 * is gone (checked with wamp.session.get) is reported as done, with the error as a note.
 */
export async function killSession(
  meta: MetaClient,
  plan: KillPlan,
  options: { reason?: string; message?: string; force?: boolean },
): Promise<KillReport> {
  assertSafe(plan.safety, 'kill', options.force === true)
  const id = plan.session.session
  const checked = await checkedOutcome(
    () => meta.killSession(id, options.reason, options.message),
    () => sessionGone(meta, id),
  )
  return {
    ...killReportBase(plan, options),
    killed: true,
    dry_run: false,
    notes: checked.routerError === null ? [] : [`the router answered ${checked.routerError}, but session ${id} is gone`],
  }
}

/** The report of a dry run: what would be killed, nothing changed. */
export function dryRunKill(plan: KillPlan, options: { reason?: string; message?: string; force?: boolean }): KillReport {
  return { ...killReportBase(plan, options), killed: false, dry_run: true, notes: [] }
}

function killReportBase(
  plan: KillPlan,
  options: { reason?: string; message?: string; force?: boolean },
): Omit<KillReport, 'killed' | 'dry_run' | 'notes'> {
  return {
    session: plan.session.session,
    authid: plan.session.authid,
    reason: options.reason ?? null,
    message: options.message ?? null,
    registrations: plan.registrations.map((r) => r.uri),
    forced: !plan.safety.safe && options.force === true,
  }
}
