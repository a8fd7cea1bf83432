import { formatDuration } from '../../ops/duration.js'
import { formatSteps, pct, type RolloutCallee } from '../../ops/rollout/index.js'
import type { RolloutRecord, UndoResult } from '../../protocol/rollout.js'
import { renderTable } from '../table.js'
import { num } from './lines.js'

/** The last lines of a finished rollout: its steps (canary) and how it ended. */
export function finalSummary(r: RolloutRecord): string {
  const out: string[] = []
  if (r.kind === 'canary' && r.steps.length > 0) {
    out.push(
      renderTable(
        [
          { header: 'STEP', get: (s) => s.step, align: 'right' },
          { header: 'TARGET', get: (s) => `${s.percent}%`, align: 'right' },
          { header: 'WEIGHT', get: (s) => num(s.canary_weight), align: 'right' },
          { header: 'CHECKS', get: (s) => s.checks, align: 'right' },
          { header: 'CANARY CALLS', get: (s) => s.canary_calls, align: 'right' },
          { header: 'ERRORS', get: (s) => s.canary_errors, align: 'right' },
          { header: 'REST CALLS', get: (s) => s.rest_calls, align: 'right' },
          { header: 'SHARE', get: (s) => (s.share === null ? null : pct(s.share)), align: 'right' },
        ],
        r.steps,
      ),
    )
  }
  const took = r.ended_at === null ? '' : ` (${formatDuration(Date.parse(r.ended_at) - Date.parse(r.started_at))})`
  out.push(`${r.outcome ?? r.status} ${r.uri}: ${r.reason ?? ''}${took}`)
  if (r.kept.length > 0)
    out.push(`old callees kept at weight 0: ${r.kept.join(', ')} ('wampctl rollout undo ${r.uri}' shifts the traffic back)`)
  return out.join('\n')
}

/** One line saying a rollout was accepted (--detach, steering verbs). */
export function acceptedLine(r: RolloutRecord, what = 'accepted'): string {
  return `${what}: ${r.kind} rollout ${r.id} of ${r.uri}, ${r.status}${r.step === null ? '' : ` at step ${r.step}/${r.spec.kind === 'canary' ? r.spec.steps.length : 0}`} (follow it: 'wampctl rollout watch ${r.uri}')`
}

/** `rollout status`: the rollout, then the callees with their roles, weights and states. */
export function statusView(r: RolloutRecord, callees: RolloutCallee[], recentWindow: string): string {
  const out: string[] = []
  const ended = r.outcome !== null
  out.push(
    `${r.kind} rollout ${r.id} of ${r.uri}: ${ended ? `ENDED ${r.outcome}` : r.status}, started ${r.started_at} by ${r.started_by.authid}${ended ? `, ended ${r.ended_at}` : ''}`,
  )
  if (r.reason !== null) out.push(`reason: ${r.reason}`)
  if (r.spec.kind === 'canary') {
    const spec = r.spec
    const step =
      r.step === null
        ? 'not started'
        : `step ${r.step}/${spec.steps.length} (${r.percent ?? 0}%), canary weight ${r.canary_weight === null ? '-' : num(r.canary_weight)}`
    out.push(`canary session ${r.canary?.session ?? '-'}: ${step}${r.next_check_at === null ? '' : `, next check ${r.next_check_at}`}`)
    out.push(
      `steps ${formatSteps(spec.steps)}, every ${formatDuration(spec.interval_ms)}; gates: error rate ≤ ${pct(spec.max_error_rate)}${spec.max_p99_ms === null ? '' : `, p99 ≤ ${spec.max_p99_ms} ms`}${spec.probe === null ? '' : `, probe ${spec.probe}`}; failure limit ${spec.failure_limit}, success limit ${spec.success_limit}${spec.dry_run_analysis ? '; DRY-RUN analysis (never rolls back)' : ''}`,
    )
    if (r.paused !== null)
      out.push(
        `PAUSED by ${r.paused.by} since ${r.paused.since}${r.paused.until === null ? ` ('wampctl rollout resume|promote ${r.uri}')` : ` until ${r.paused.until}`}`,
      )
    const g = r.last_gate
    if (g !== null)
      out.push(
        `last check (step ${g.step}): ${g.verdict}, ${g.action}${g.verdict === 'breach' ? ` [${g.failures} consecutive failed]` : ''} — ${g.reason}`,
      )
  } else {
    out.push(`new callees: ${r.new_sessions.join(', ') || 'none yet'}; retired: ${r.retired.join(', ') || 'none yet'}`)
  }
  out.push('')
  out.push(`callees (CALLS/S and SHARE over the last ${recentWindow}, as in top and registrations list; totals since registering):`)
  out.push(
    renderTable<RolloutCallee>(
      [
        { header: 'SESSION', get: (c) => c.session, align: 'right' },
        { header: 'AUTHID', get: (c) => c.authid },
        { header: 'ROLE', get: (c) => c.role },
        { header: 'STATE', get: (c) => c.state },
        { header: 'WEIGHT', get: (c) => (c.weight === null ? null : num(c.weight)), align: 'right' },
        { header: 'START WEIGHT', get: (c) => (c.start_weight === null ? null : num(c.start_weight)), align: 'right' },
        { header: 'CALLS/S', get: (c) => c.calls_per_s, align: 'right' },
        { header: 'SHARE', get: (c) => (c.share === null ? null : pct(c.share)), align: 'right' },
        { header: 'CALLS TOTAL', get: (c) => c.calls, align: 'right' },
        { header: 'ERRORS', get: (c) => c.errors, align: 'right' },
        { header: 'IN FLIGHT', get: (c) => c.inflight, align: 'right' },
        { header: 'P99 MS', get: (c) => c.p99_ms, align: 'right' },
      ],
      callees,
    ),
  )
  return out.join('\n')
}

/** `rollout list` and `rollout history`: one row per rollout. */
export function rolloutTable(records: RolloutRecord[]): string {
  return renderTable<RolloutRecord>(
    [
      { header: 'URI', get: (r) => r.uri },
      { header: 'KIND', get: (r) => r.kind },
      { header: 'STATUS', get: (r) => (r.undone !== null ? `${r.status} (undone)` : r.status) },
      {
        header: 'STEP',
        get: (r) => (r.step === null ? null : `${r.step}/${r.spec.kind === 'canary' ? r.spec.steps.length : '-'}`),
        align: 'right',
      },
      { header: 'CANARY', get: (r) => r.canary?.session ?? null, align: 'right' },
      { header: 'BY', get: (r) => r.started_by.authid },
      { header: 'STARTED', get: (r) => r.started_at },
      { header: 'REASON', get: (r) => r.reason },
    ],
    records,
  )
}

export function undoSummary(u: UndoResult): string {
  const restored = u.restored.map((w) => `${w.session} weight ${num(w.weight)}`).join(', ')
  return `undid rollout ${u.id} of ${u.uri}: previous version back (${restored})${u.canary === null ? '' : `; canary session ${u.canary.session} weight 0, cordoned (still registered)`}`
}
