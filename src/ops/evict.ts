import type { MetaClient } from '../client/meta-client.js'
import { CallError, NotFoundError, UnsupportedError } from '../client/errors.js'
import type { RegistrationView, SessionView } from '../client/views.js'
import { calleeRegistrations } from './callee-registrations.js'
import { resolveSession } from './session-target.js'

export const DEFAULT_EVICT_REASON = 'wampctl.evicted'
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
}

/** Who and what an eviction would remove (for the confirmation prompt). `sessionRef`: a session id or an authid naming one session. */
export interface EvictPlan {
  session: SessionView
  registrations: RegistrationView[]
}

export async function planEvict(meta: MetaClient, sessionRef: string, uri?: string): Promise<EvictPlan> {
  const session = await resolveSession(meta, sessionRef, meta.client.sessionId)
  return { session, registrations: await calleeRegistrations(meta, session.session, uri) }
}

/**
 * Remove a callee: with a URI, revoke that one registration (`wamp.registration.remove_callee`);
 * without, revoke every registration of the session. Callees that announced
 * registration_revocation receive UNREGISTERED with the reason; others (wampy.js) are not told.
 * A router without remove_callee: without a URI the session is closed with `wamp.session.kill`
 * (stated in the report); with a URI it is refused, since killing would take more than asked.
 * Calls in flight to the callee are not dropped: it may still answer them.
 */
export async function evict(meta: MetaClient, plan: EvictPlan, options: { uri?: string; reason?: string }): Promise<EvictReport> {
  const { session, registrations: regs } = plan
  const reason = reasonUri(options.reason)
  const report: EvictReport = {
    session: session.session,
    authid: session.authid,
    method: 'remove_callee',
    fallback: false,
    reason,
    message: options.reason ?? null,
    registrations: [],
  }
  for (const reg of regs) {
    try {
      await meta.removeCallee(reg.id, session.session, reason)
      report.registrations.push({ id: reg.id, uri: reg.uri, outcome: 'revoked' })
    } catch (err) {
      if (err instanceof CallError && err.uri === 'wamp.error.no_such_procedure' && report.registrations.length === 0) {
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

async function killInstead(meta: MetaClient, report: EvictReport, regs: RegistrationView[]): Promise<EvictReport> {
  await meta.killSession(report.session, report.reason, report.message ?? `evicted by wampctl`)
  return {
    ...report,
    method: 'session_kill',
    fallback: true,
    registrations: regs.map((r) => ({ id: r.id, uri: r.uri, outcome: 'killed' as const })),
  }
}
