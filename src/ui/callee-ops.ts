import type { CordonReport } from '../ops/cordon.js'
import type { DrainPlan } from '../ops/drain-safety.js'
import type { DrainReport } from '../ops/drain.js'
import type { EvictReport } from '../ops/evict.js'
import { formatDuration } from '../ops/duration.js'
import { renderTable } from './table.js'

/** Human output of the rolling-deploy verbs (cordon, uncordon, drain, evict): tables and one-line summaries. */

function who(session: number, authid: string | null): string {
  return authid === null ? `session ${session}` : `session ${session} (${authid})`
}

export function renderCordon(r: CordonReport): string {
  const table = renderTable(
    [
      { header: 'REGISTRATION', get: (c) => c.registration, align: 'right' },
      { header: 'URI', get: (c) => c.uri },
      { header: 'BEFORE', get: (c) => c.before },
      { header: 'NOW', get: (c) => c.state },
    ],
    r.registrations,
  )
  const n = r.registrations.filter((c) => c.changed).length
  const verb = r.state === 'cordoned' ? 'cordoned' : 'uncordoned'
  return `${table}\n${who(r.session, r.authid)} ${verb} on ${n} of ${r.registrations.length} registration(s)`
}

export function renderDrainPlan(plan: DrainPlan): string {
  return renderTable(
    [
      { header: 'REGISTRATION', get: (p) => p.id, align: 'right' },
      { header: 'URI', get: (p) => p.uri },
      { header: 'INVOKE', get: (p) => p.invoke },
      { header: 'STATE', get: (p) => p.state },
      { header: 'IN FLIGHT', get: (p) => p.inflight, align: 'right' },
      { header: 'OTHER ACTIVE CALLEES', get: (p) => (p.other_active.length === 0 ? 'none' : p.other_active.join(' ')) },
      { header: 'SAFE', get: (p) => (p.safe ? 'yes' : 'NO') },
    ],
    plan.registrations,
  )
}

export function renderDryRun(plan: DrainPlan, then: string, timeoutMs: number): string {
  const verdict = plan.safe
    ? `would drain ${who(plan.session, plan.authid)}: cordon, wait up to ${formatDuration(timeoutMs)} for ${plan.inflight ?? '?'} call(s) in flight, then ${then}`
    : `would be REFUSED (exit 4) without --force: last active callee of ${plan.blocked.join(', ')}`
  return `${renderDrainPlan(plan)}\ndry run, nothing changed: ${verdict}`
}

export function renderDrainSummary(r: DrainReport): string {
  const res = r.result
  if (res === null) return ''
  const what = res.outcome === 'unregistered' ? 'unregistered' : res.outcome === 'killed' ? 'its session closed' : 'left cordoned'
  const forced = r.forced ? ' (forced: it was the last active callee)' : ''
  return `drained ${who(r.plan.session, r.plan.authid)} from ${res.registrations.length} registration(s) in ${formatDuration(res.elapsed_ms)}: ${r.inflight_at_start ?? '?'} call(s) were in flight, all finished; ${what}${forced}`
}

export function renderEvict(r: EvictReport): string {
  const table = renderTable(
    [
      { header: 'REGISTRATION', get: (e) => e.id, align: 'right' },
      { header: 'URI', get: (e) => e.uri },
      { header: 'OUTCOME', get: (e) => e.outcome },
    ],
    r.registrations,
  )
  const how = r.fallback
    ? `fallback: the router has no wamp.registration.remove_callee, so ${who(r.session, r.authid)} was closed with wamp.session.kill (reason ${r.reason})`
    : `revoked with wamp.registration.remove_callee, reason ${r.reason} (callees that announce registration_revocation are told; others are not)`
  return `${table}\n${how}`
}
