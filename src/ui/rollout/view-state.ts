import type { RolloutEvent, RolloutRecord, WindowStats, WeightRef } from '../../protocol/rollout.js'
import { eventLine, recordLine } from './lines.js'

const LOG_LINES = 8

/** What the live rollout view shows, folded from the events. */
export interface ViewState {
  phase: string
  canary: string | null
  step: {
    step: number
    steps: number
    percent: number
    canary_weight: number
    old_weights: WeightRef[]
    interval_ms: number
    next_step_at: number
  } | null
  /** Figures of the current window (live) or of the last one judged. */
  window: WindowStats | null
  /** The last gate verdict, with its reason. */
  verdict: { verdict: string; reason: string } | null
  log: string[]
  done: boolean
}

/** An external store for the ink view (useSyncExternalStore): `apply` each event, the view redraws. */
export class ViewStore {
  private state: ViewState = { phase: 'starting', canary: null, step: null, window: null, verdict: null, log: [], done: false }
  private readonly listeners = new Set<() => void>()

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  readonly getSnapshot = (): ViewState => this.state

  apply(e: RolloutEvent): void {
    const s: ViewState = { ...this.state }
    const line = eventLine(e)
    if (line !== null) s.log = [...s.log, line].slice(-LOG_LINES)
    switch (e.event) {
      case 'waiting':
        s.phase = `waiting for ${e.for}`
        break
      case 'canary':
        s.canary = e.canary.authid === null ? String(e.canary.session) : `${e.canary.session} (${e.canary.authid})`
        break
      case 'step':
        s.phase = `step ${e.step}/${e.steps}`
        s.step = {
          step: e.step,
          steps: e.steps,
          percent: e.percent,
          canary_weight: e.canary_weight,
          old_weights: e.old_weights,
          interval_ms: e.interval_ms,
          next_step_at: Date.parse(e.next_step_at),
        }
        s.window = null
        break
      case 'sample':
        s.window = e.window
        if (s.step !== null) s.step = { ...s.step, next_step_at: Date.now() + e.next_step_in_ms }
        break
      case 'gate':
        s.window = e.window
        s.verdict = { verdict: e.verdict, reason: e.reason }
        if (e.action === 'hold' && s.step !== null) s.step = { ...s.step, next_step_at: Date.now() + s.step.interval_ms }
        break
      case 'rollback':
        s.phase = 'rolled back'
        break
      case 'paused':
        s.phase = e.until === null ? "paused: 'wampctl rollout promote' or 'resume' goes on" : `paused until ${e.until}`
        break
      case 'resumed':
        s.phase = s.step === null ? 'running' : `step ${s.step.step}/${s.step.steps}`
        break
      case 'aborted':
        s.phase = `aborted by ${e.by}`
        break
      case 'completed':
        s.phase = e.outcome.replace('_', ' ')
        s.done = true
        break
      case 'promoted':
        s.phase = 'promoted: the canary takes all the traffic'
        break
      case 'retire':
        s.phase = `retiring old callee ${e.index}/${e.of} (session ${e.callee.session})`
        break
      case 'drain-progress':
        s.phase = `draining session ${e.session}: ${e.inflight} call(s) in flight`
        break
      case 'new-callee':
        s.phase = `new callees: ${e.have}/${e.want}`
        break
      default:
        break
    }
    this.state = s
    for (const l of this.listeners) l()
  }

  /** Start from where the rollout is (watching one picked up midway). */
  seed(r: RolloutRecord): void {
    const s: ViewState = { ...this.state, log: [...this.state.log, recordLine(r)].slice(-LOG_LINES) }
    if (r.canary !== null) s.canary = r.canary.authid === null ? String(r.canary.session) : `${r.canary.session} (${r.canary.authid})`
    s.phase =
      r.paused !== null
        ? r.paused.until === null
          ? "paused: 'wampctl rollout promote' or 'resume' goes on"
          : `paused until ${r.paused.until}`
        : r.status
    if (r.spec.kind === 'canary' && r.step !== null && r.percent !== null && r.canary_weight !== null) {
      const old = new Map(r.old.map((o) => [o.session, o.weight]))
      s.step = {
        step: r.step,
        steps: r.spec.steps.length,
        percent: r.percent,
        canary_weight: r.canary_weight,
        old_weights: [...old].map(([session, weight]) => ({ session, weight: r.percent === 100 ? 0 : weight })),
        interval_ms: r.spec.interval_ms,
        next_step_at: r.next_check_at === null ? Date.now() : Date.parse(r.next_check_at),
      }
    }
    if (r.last_gate !== null) s.verdict = { verdict: r.last_gate.verdict, reason: r.last_gate.reason }
    this.state = s
    for (const l of this.listeners) l()
  }

  finish(phase: string): void {
    this.state = { ...this.state, phase, done: true }
    for (const l of this.listeners) l()
  }
}
