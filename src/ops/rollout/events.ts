import type { GateResult, WindowStats } from './health.js'

/** A callee as rollout events name it. */
export interface CalleeRef {
  session: number
  authid: string | null
}

export interface WeightRef {
  session: number
  weight: number
}

/**
 * What a rollout reports as it goes (the live view draws these; `--json` prints one per line as
 * `{"event": …}`). The shapes are stable.
 */
export type RolloutEvent =
  /** Waiting for the canary (canary) or for new callees (replace) to register. */
  | { event: 'waiting'; uri: string; registration: number; for: string; have: number; want: number; deadline: string }
  /** The canary was found; `old` are the callees it is measured against. */
  | { event: 'canary'; uri: string; registration: number; canary: CalleeRef; old: Array<CalleeRef & { weight: number; state: string }> }
  /** A step began: the canary's weight was set for `percent`% of the traffic. */
  | {
      event: 'step'
      step: number
      steps: number
      percent: number
      canary_weight: number
      old_weights: WeightRef[]
      interval_ms: number
      next_step_at: string
    }
  /** Live figures within the current window (only when sampling is asked for: the TTY view). */
  | { event: 'sample'; step: number; percent: number; window: WindowStats; next_step_in_ms: number }
  /** A window ended: the gates' verdict. `idle` windows repeat the step (unless --on-idle says otherwise). */
  | ({ event: 'gate'; step: number; percent: number; window: WindowStats; action: 'advance' | 'hold' | 'rollback' } & GateResult)
  /** A gate failed (or the run was interrupted / timed out): the canary is out, the old callees restored. */
  | { event: 'rollback'; reason: string; restored: WeightRef[]; canary: CalleeRef; canary_drained: boolean }
  /** Every step passed: the canary takes all the traffic. */
  | { event: 'promoted'; canary: CalleeRef; old: CalleeRef[] }
  /** A new callee registered (replace). */
  | { event: 'new-callee'; callee: CalleeRef; have: number; want: number }
  /** Draining an old callee (then unregister). */
  | { event: 'retire'; callee: CalleeRef; index: number; of: number }
  | { event: 'drain-progress'; session: number; inflight: number }
  | { event: 'retired'; callee: CalleeRef; outcome: string; elapsed_ms: number; drained: boolean }
  /** replace: waiting before the next drain so that --min-available callees stay active. */
  | { event: 'holding'; reason: string }
  /** Something an operator should know (no figures): printed as a note. */
  | { event: 'note'; message: string }

export type EventSink = (e: RolloutEvent) => void
