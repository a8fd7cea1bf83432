import { formatDuration } from '../../ops/duration.js'
import {
  pct,
  type AbortResult,
  type CanaryResult,
  type ReplaceResult,
  type RolloutStatusView,
  type StatusCallee,
} from '../../ops/rollout/index.js'
import { renderTable } from '../table.js'
import { num } from './lines.js'

/** The last lines of a promoted canary rollout. */
export function canarySummary(r: CanaryResult): string {
  const steps = renderTable(
    [
      { header: 'STEP', get: (s) => s.step, align: 'right' },
      { header: 'TARGET', get: (s) => `${s.percent}%`, align: 'right' },
      { header: 'WEIGHT', get: (s) => num(s.canary_weight), align: 'right' },
      { header: 'WINDOWS', get: (s) => s.windows, align: 'right' },
      { header: 'CANARY CALLS', get: (s) => s.canary_calls, align: 'right' },
      { header: 'ERRORS', get: (s) => s.canary_errors, align: 'right' },
      { header: 'REST CALLS', get: (s) => s.rest_calls, align: 'right' },
      { header: 'SHARE', get: (s) => (s.share === null ? null : pct(s.share)), align: 'right' },
    ],
    r.steps,
  )
  const tail =
    r.kept.length > 0
      ? `old callees kept at weight 0: ${r.kept.map((c) => c.session).join(', ')} ('wampctl rollout abort ${r.uri}' brings them back; 'wampctl rollout replace ${r.uri}' retires them)`
      : r.retired.length > 0
        ? `old callees retired: ${r.retired.map((c) => `${c.session} (${c.outcome})`).join(', ')}`
        : 'no old callee left to retire'
  return `${steps}\npromoted ${r.uri}: canary session ${r.canary.session} takes all the traffic; ${tail} (${formatDuration(r.elapsed_ms)})`
}

export function replaceSummary(r: ReplaceResult): string {
  return `replaced on ${r.uri}: new ${r.new.map((c) => c.session).join(', ') || 'none'}; retired ${r.retired.map((c) => `${c.session} (${c.outcome})`).join(', ') || 'none'} (${formatDuration(r.elapsed_ms)})`
}

export function abortSummary(r: AbortResult): string {
  const lines = [
    `aborted the ${r.kind} rollout of ${r.uri} (runner ${r.runner})`,
    `restored: ${r.restored.map((c) => `${c.session} weight ${num(c.weight)} ${c.state}`).join(', ') || 'nothing'}`,
  ]
  if (r.canary !== null) lines.push(`canary session ${r.canary.session}: weight 0 (still registered; stop it or roll out again)`)
  for (const s of r.skipped) lines.push(`left as is: session ${s.session}: ${s.reason}`)
  return lines.join('\n')
}

/** `rollout status`: the rollout (if any), then the callees with their weights and states. */
export function statusView(v: RolloutStatusView): string {
  const out: string[] = []
  const r = v.rollout
  if (r === null) {
    out.push(`no rollout of ${v.uri} in progress${v.registration === null ? '' : ` (registration ${v.registration}, invoke ${v.invoke})`}`)
  } else {
    const runner =
      r.runner === 'finished'
        ? `finished; old callees kept at weight 0 ('wampctl rollout abort ${v.uri}' brings them back)`
        : r.runner === 'running'
          ? `running (pid ${r.pid})`
          : r.runner === 'gone'
            ? `GONE (pid ${r.pid} ended without finishing: 'wampctl rollout abort ${v.uri}' restores)`
            : `on ${r.host} (pid ${r.pid})`
    out.push(`${r.kind} rollout of ${v.uri}: ${r.status}, started ${r.started_at}, runner ${runner}`)
    if (r.kind === 'canary') {
      const step =
        r.step === null
          ? 'not started'
          : `step ${r.step}/${r.steps.length} (${r.percent}%), canary weight ${r.canary_weight === null ? '-' : num(r.canary_weight)}`
      const next = r.next_step_at === null ? '' : `, next check ${r.next_step_at}`
      out.push(`canary session ${r.canary ?? '-'}: ${step}${next}`)
      if (r.last_gate !== null) out.push(`last gate (step ${r.last_gate.step}): ${r.last_gate.verdict} — ${r.last_gate.reason}`)
      if (v.canary !== null && v.rest !== null) {
        out.push(
          `since registering: canary ${v.canary.calls} calls, ${v.canary.error_rate === null ? '-' : pct(v.canary.error_rate)} errors, p99 ${v.canary.p99_ms ?? '-'} ms | rest ${v.rest.calls} calls, ${v.rest.error_rate === null ? '-' : pct(v.rest.error_rate)} errors, p99 ${v.rest.p99_ms ?? '-'} ms`,
        )
      }
    } else if (r.retired.length > 0) {
      out.push(`retired so far: ${r.retired.join(', ')}`)
    }
  }
  out.push('')
  out.push(
    renderTable<StatusCallee>(
      [
        { header: 'SESSION', get: (c) => c.session, align: 'right' },
        { header: 'AUTHID', get: (c) => c.authid },
        { header: 'ROLE', get: (c) => c.role },
        { header: 'STATE', get: (c) => c.state },
        { header: 'WEIGHT', get: (c) => (c.weight === null ? null : num(c.weight)), align: 'right' },
        { header: 'START WEIGHT', get: (c) => (c.start_weight === null ? null : num(c.start_weight)), align: 'right' },
        { header: 'CALLS', get: (c) => c.calls, align: 'right' },
        { header: 'ERRORS', get: (c) => c.errors, align: 'right' },
        { header: 'ERROR RATE', get: (c) => (c.error_rate === null ? null : pct(c.error_rate)), align: 'right' },
        { header: 'IN FLIGHT', get: (c) => c.inflight, align: 'right' },
        { header: 'P99', get: (c) => (c.p99_ms === null ? null : `${c.p99_ms}ms`), align: 'right' },
      ],
      v.callees,
    ),
  )
  return out.join('\n')
}
