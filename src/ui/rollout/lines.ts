import { formatDuration } from '../../ops/duration.js'
import { pct } from '../../ops/rollout/index.js'
import type { RolloutEvent, RolloutRecord, SideStats, WindowStats } from '../../protocol/rollout.js'

/**
 * Rollout events as plain lines for logs and CI pipelines: one line per event that matters, none
 * for live samples or drain progress (the TTY view shows those).
 */
export function eventLine(e: RolloutEvent): string | null {
  switch (e.event) {
    case 'started':
      return `started by ${e.by}: ${e.spec.kind} rollout of ${e.spec.uri} (runs in the router; Ctrl-C stops watching only)`
    case 'waiting':
      return `waiting for ${e.for} on ${e.uri} (until ${e.deadline})`
    case 'canary':
      return `canary: session ${who(e.canary)} on ${e.uri} (registration ${e.registration}); old callees: ${e.old.map((c) => `${who(c)} weight ${num(c.weight)}${c.state === 'active' ? '' : ` ${c.state}`}`).join(', ') || 'none'}`
    case 'step':
      return `step ${e.step}/${e.steps}: ${e.percent}% → canary weight ${num(e.canary_weight)} (old weights ${e.old_weights.map((w) => num(w.weight)).join(', ') || '-'}); next check in ${formatDuration(e.interval_ms)}`
    case 'sample':
      return null
    case 'gate': {
      const head = `step ${e.step} ${e.percent}%: ${e.verdict}`
      const action =
        e.action === 'hold'
          ? ' (holding the step for another check)'
          : e.action === 'rollback'
            ? ' → rolling back'
            : e.action === 'report'
              ? ' (dry run: reported, not rolled back)'
              : ''
      const probe = e.probe === null ? '' : ` | probe ${e.probe.ok ? 'ok' : `FAILED (${e.probe.error})`}`
      const counts = e.verdict === 'breach' ? ` [${e.failures} consecutive failed]` : ''
      return `${head}${action}${counts} — ${windowLine(e.window)}${probe}${e.verdict === 'pass' ? '' : ` — ${e.reason}`}`
    }
    case 'rollback':
      return `ROLLED BACK: ${e.reason}; old weights restored (${e.restored.map((r) => `${r.session}=${num(r.weight)}`).join(', ') || 'none left'}); canary session ${e.canary.session} weight 0, ${e.canary_drained ? 'drained and cordoned' : 'cordoned (calls still in flight)'}`
    case 'promoted':
      return `promoted: canary session ${who(e.canary)} takes 100% of the traffic`
    case 'new-callee':
      return `new callee ${e.have}/${e.want}: session ${who(e.callee)}`
    case 'retire':
      return `retiring old callee ${e.index}/${e.of}: session ${who(e.callee)} (drain, then unregister)`
    case 'drain-progress':
      return null
    case 'retired':
      return e.outcome === 'timeout'
        ? `session ${e.callee.session}: drain timed out after ${formatDuration(e.elapsed_ms)}; it stays cordoned with calls in flight`
        : e.outcome === 'gone'
          ? `session ${e.callee.session}: already gone`
          : `retired session ${e.callee.session} (${e.outcome} after ${formatDuration(e.elapsed_ms)})`
    case 'holding':
      return `holding: ${e.reason}`
    case 'paused':
      return `paused (${e.reason})${e.until === null ? `: 'wampctl rollout promote' or 'resume' goes on` : ` until ${e.until}`}`
    case 'resumed':
      return `resumed by ${e.by}`
    case 'promote':
      return `promote by ${e.by}${e.full ? ' --full: straight to 100%' : ': on to the next step'}`
    case 'aborted':
      return `ABORTED by ${e.by}: old weights restored (${e.restored.map((r) => `${r.session}=${num(r.weight)}`).join(', ') || 'none left'})`
    case 'undone':
      return `undone by ${e.by}: old weights restored (${e.restored.map((r) => `${r.session}=${num(r.weight)}`).join(', ') || 'none'})${e.canary === null ? '' : `; canary session ${e.canary.session} weight 0`}`
    case 'completed':
      return `${e.outcome.replace('_', ' ').toUpperCase()}: ${e.reason ?? ''}`
    case 'note':
      return `note: ${e.message}`
  }
}

/** "canary 1.2% err of 250 calls, p99 5.2 ms | rest 0% of 750, p99 4.8 ms | canary share 25%". */
export function windowLine(w: WindowStats): string {
  return `canary ${side(w.canary)} | rest ${side(w.rest)} | canary share ${w.share === null ? '-' : pct(w.share)}`
}

function side(s: SideStats): string {
  return `${s.error_rate === null ? '-' : pct(s.error_rate)} errors of ${s.calls} calls, p99 ${s.p99_ms === null ? '-' : `${s.p99_ms} ms`}`
}

function who(c: { session: number; authid: string | null }): string {
  return c.authid === null ? String(c.session) : `${c.session} (${c.authid})`
}

/** Weights as people read them: 1, 0.333333 → 0.33, 3 → 3. */
export function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(3)))
}

/** Where a rollout is, in one line: what `rollout watch` says first about a rollout picked up midway. */
export function recordLine(r: RolloutRecord): string {
  const steps = r.spec.kind === 'canary' ? r.spec.steps.length : null
  const at = r.step === null || steps === null ? '' : ` at step ${r.step}/${steps}${r.percent === null ? '' : ` (${r.percent}%)`}`
  const canary = r.canary === null ? '' : `, canary session ${r.canary.session}`
  return `following ${r.kind} rollout ${r.id} of ${r.uri} (started ${r.started_at} by ${r.started_by.authid}): ${r.status}${at}${canary}`
}
