import { CalleeRemovalUri, ErrorUri } from '../protocol/error-uris.js'
import type { MetaClient } from '../client/meta-client.js'
import { CallError, NotFoundError, UnsupportedError } from '../client/errors.js'
import type { RegistrationView, SessionView } from '../client/views.js'
import { calleeRegistrations } from './callee-registrations.js'
import { assertSafe, planDrain, type DrainPlan } from './drain-safety.js'
import { checkedOutcome, sessionGone } from './uncertain-outcome.js'
import { resolveSession } from './session-target.js'

export const DEFAULT_EVICT_REASON = CalleeRemovalUri.evicted
const URI_REASON = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/

/**
 * The revocation reason sent with `wamp.registration.remove_callee`, which must be a URI.
 * A URI (`com.example.redeploy`: two or more components of a-z, 0-9, _) is sent as is; free text
 * becomes `wampctl.evicted.<words_joined_by_underscores>` ("Deploy v2!" → wampctl.evicted.deploy_v2);
 * no text → `wampctl.evicted`.
 */
export function reasonUri(text?: string): string {
  if (text === undefined) return DEFAULT_EVICT_REASON
  const t = text.trim()
  if (URI_REASON.test(t)) return t
  const slug = t
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64)
    .replace(/_+$/, '')
  return slug.length === 0 ? DEFAULT_EVICT_REASON : `${DEFAULT_EVICT_REASON}.${slug}`
}

export interface EvictedRegistration {
  id: number
  uri: string
  /** revoked: removed by remove_callee; gone: it had already left; killed: its session was closed. */
  outcome: 'revoked' | 'gone' | 'killed'
  /** The router answered with an error although it did remove the callee (seen with list_callees): its error. */
  router_error?: string
}

/** What `wampctl evict` did (the --json shape). */
export interface EvictReport {
  session: number
  authid: string | null
  /** How: remove_callee per registration, or (fallback) closing the whole session. */
  method: 'remove_callee' | 'session_kill'
  /** true when the router has no wamp.registration.remove_callee and wamp.session.kill was used instead. */
  fallback: boolean
  /** The reason URI sent (revocation reason, or the kill's close reason). */
  reason: string
  /** The operator's --reason text as typed (sent as the kill message on the fallback). */
  message: string | null
  registrations: EvictedRegistration[]
  /** The safety check failed (it was the last callee taking calls somewhere) and --force overrode it. */
  forced: boolean
  /** Errors the router answered although the eviction happened (checked afterwards), in words. */
  notes: string[]
}

/** What `wampctl evict --dry-run` reports (the --json shape): the plan, and why the real run would be refused (null: it would not). */
export interface EvictDryRun {
  dry_run: true
  session: number
  authid: string | null
  reason: string
  refused: string | null
  plan: DrainPlan
}

/** Who and what an eviction would remove (for the confirmation prompt). `sessionRef`: a session id or an authid naming one session. */
export interface EvictPlan {
  session: SessionView
  registrations: RegistrationView[]
  /** The safety check (the same as drain's): registrations it is the last callee taking calls of. */
  safety: DrainPlan
}

export async function planEvict(meta: MetaClient, sessionRef: string, uri?: string): Promise<EvictPlan> {
  const session = await resolveSession(meta, sessionRef, meta.client.sessionId)
  const registrations = await calleeRegistrations(meta, session.session, uri)
  return { session, registrations, safety: planDrain(session.session, session.authid, registrations) }
}

/**
 * Remove a callee: with a URI, revoke that one registration (`wamp.registration.remove_callee`);
 * without, revoke every registration of the session. Callees that announced
 * registration_revocation receive UNREGISTERED with the reason; others (wampy.js) are not told.
 * A router without remove_callee: without a URI the session is closed with `wamp.session.kill`
 * (stated in the report); with a URI it is refused, since killing would take more than asked.
 * Calls in flight to the callee are not dropped: it may still answer them.
 * Refused (SafetyError, exit 4) when it would leave a registration with no callee taking calls,
 * unless `force`. An error whose effect is uncertain (Crossbar removes the callee, then answers
 * wamp.error.runtime_error) is checked with list_callees: done is reported as done, with the
 * router's error as a note.
 */
export async function evict(
  meta: MetaClient,
  plan: EvictPlan,
  options: { uri?: string; reason?: string; force?: boolean },
): Promise<EvictReport> {
  const { session, registrations: regs } = plan
  assertSafe(plan.safety, 'evict', options.force === true)
  const reason = reasonUri(options.reason)
  const report: EvictReport = {
    session: session.session,
    authid: session.authid,
    method: 'remove_callee',
    fallback: false,
    reason,
    message: options.reason ?? null,
    registrations: [],
    forced: !plan.safety.safe,
    notes: [],
  }
  for (const reg of regs) {
    try {
      const checked = await checkedOutcome(
        () => meta.removeCallee(reg.id, session.session, reason),
        async () => !(await isCallee(meta, reg.id, session.session)),
      )
      const row: EvictedRegistration = { id: reg.id, uri: reg.uri, outcome: 'revoked' }
      if (checked.routerError !== null) {
        row.router_error = checked.routerError
        report.notes.push(`${reg.uri}: the router answered ${checked.routerError}, but list_callees shows the callee removed`)
      }
      report.registrations.push(row)
    } catch (err) {
      if (err instanceof CallError && err.uri === ErrorUri.noSuchProcedure && report.registrations.length === 0) {
        if (options.uri !== undefined) {
          throw new UnsupportedError(
            `the router at ${meta.client.url} has no wamp.registration.remove_callee, so it cannot revoke one registration; 'wampctl evict ${session.session}' without --uri closes the whole session (wamp.session.kill)`,
          )
        }
        return killInstead(meta, report, regs)
      }
      // Left between our look and the removal: nothing to do for that one.
      if (err instanceof NotFoundError && report.registrations.length > 0) {
        report.registrations.push({ id: reg.id, uri: reg.uri, outcome: 'gone' })
        continue
      }
      throw err
    }
  }
  return report
}

/** Whether `session` is still a callee of registration `id` (a registration gone has no callees). */
async function isCallee(meta: MetaClient, id: number, session: number): Promise<boolean> {
  try {
    return (await meta.calleeIds(id)).includes(session)
  } catch (err) {
    if (err instanceof NotFoundError) return false
    throw err
  }
}

async function killInstead(meta: MetaClient, report: EvictReport, regs: RegistrationView[]): Promise<EvictReport> {
  const checked = await checkedOutcome(
    () => meta.killSession(report.session, report.reason, report.message ?? `evicted by wampctl`),
    () => sessionGone(meta, report.session),
  )
  if (checked.routerError !== null) {
    report.notes.push(`the router answered ${checked.routerError} to wamp.session.kill, but session ${report.session} is gone`)
  }
  return {
    ...report,
    method: 'session_kill',
    fallback: true,
    registrations: regs.map((r) => ({ id: r.id, uri: r.uri, outcome: 'killed' as const })),
  }
}
