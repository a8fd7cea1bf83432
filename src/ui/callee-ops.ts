import type { CordonReport } from '../ops/cordon.js'
import type { DrainPlan } from '../ops/drain-safety.js'
import type { DrainReport } from '../ops/drain.js'
import type { EvictPlan, EvictReport } from '../ops/evict.js'
import type { KillPlan, KillReport } from '../ops/session-kill.js'
import { formatDuration } from '../ops/duration.js'
import { plural } from './format.js'
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
  return `${table}\n${cordonSummary(r)}`
}

/**
 * What changed, in words: `session 7 (w-1) cordoned on 2 registrations`, `session 7 (w-1) is
 * already cordoned on com.a (nothing changed)`, or both parts when some were and some were not.
 */
export function cordonSummary(r: CordonReport): string {
  const changed = r.registrations.filter((c) => c.changed)
  const unchanged = r.registrations.filter((c) => !c.changed)
  const verb = r.state === 'cordoned' ? 'cordoned' : 'uncordoned'
  const already = r.state === 'cordoned' ? 'already cordoned' : 'not cordoned (already active)'
  const uris = (cs: CordonReport['registrations']): string => cs.map((c) => c.uri).join(', ')
  if (changed.length === 0) return `${who(r.session, r.authid)} is ${already} on ${uris(unchanged)}: nothing changed`
  const done = `${who(r.session, r.authid)} ${verb} on ${plural(changed.length, 'registration')}`
  return unchanged.length === 0 ? done : `${done} (${uris(changed)}); ${already} on ${uris(unchanged)}`
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
    ? `would drain ${who(plan.session, plan.authid)}: cordon, wait up to ${formatDuration(timeoutMs)} for ${plan.inflight === null ? '? calls' : plural(plan.inflight, 'call')} in flight, then ${then}`
    : `would be REFUSED (exit 4) without --force: last active callee of ${plan.blocked.join(', ')}`
  return `${renderDrainPlan(plan)}\ndry run, nothing changed: ${verdict}`
}

export function renderDrainSummary(r: DrainReport): string {
  const res = r.result
  if (res === null) return ''
  const what = res.outcome === 'unregistered' ? 'unregistered' : res.outcome === 'killed' ? 'its session closed' : 'left cordoned'
  const forced = r.forced ? ' (forced: it was the last active callee)' : ''
  return `drained ${who(r.plan.session, r.plan.authid)} from ${plural(res.registrations.length, 'registration')} in ${formatDuration(res.elapsed_ms)}: ${r.inflight_at_start === null ? '? calls' : plural(r.inflight_at_start, 'call')} ${r.inflight_at_start === 1 ? 'was' : 'were'} in flight, all finished; ${what}${forced}`
}

export function renderEvictDryRun(plan: EvictPlan, reason: string, refused: string | null): string {
  const uris = plan.registrations.map((r) => r.uri).join(', ')
  const verdict =
    refused === null
      ? `would evict ${who(plan.session.session, plan.session.authid)} from ${uris} (reason ${reason})`
      : `would be REFUSED (exit 4) without --force: last active callee of ${plan.safety.blocked.join(', ')}`
  return `${renderDrainPlan(plan.safety)}\ndry run, nothing changed: ${verdict}`
}

export function renderKillDryRun(plan: KillPlan, refused: string | null): string {
  const s = plan.session
  const serves = plan.registrations.length === 0 ? 'a callee of nothing' : `a callee of ${plan.registrations.map((r) => r.uri).join(', ')}`
  const verdict =
    refused === null
      ? `would kill ${who(s.session, s.authid)} (role ${s.authrole ?? '-'}, ${serves})`
      : `would be REFUSED (exit 4) without --force: last active callee of ${plan.safety.blocked.join(', ')}`
  const table = plan.registrations.length === 0 ? '' : `${renderDrainPlan(plan.safety)}\n`
  return `${table}dry run, nothing changed: ${verdict}`
}

/** `session 4711 killed`, with the router's errors (checked: it is gone) as notes. */
export function renderKill(r: KillReport): string {
  return [
    `session ${r.session} killed`,
    ...r.notes.map((n) => `note: ${n}`),
    ...(r.forced ? ['forced: it was the last callee taking calls'] : []),
  ].join('\n')
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
  return [table, how, ...r.notes.map((n) => `note: ${n}`), ...(r.forced ? ['forced: it was the last callee taking calls'] : [])].join('\n')
}

/** What a drain interrupted by Ctrl-C leaves, and how to finish it. */
export function interruptedDrain(plan: DrainPlan, then: string): string {
  const uris = plan.registrations.map((r) => r.uri).join(', ')
  const finish =
    then === 'none'
      ? `'wampctl uncordon ${plan.session}' puts it back`
      : `'wampctl drain ${plan.session} --then ${then}' finishes it, 'wampctl uncordon ${plan.session}' puts it back`
  return `drain interrupted: session ${plan.session} stays cordoned on ${uris} (no new calls; its calls in flight still finish${then === 'none' ? '' : `; --then ${then} was not done`}); ${finish}`
}
