/**
 * Rollouts run by the router (the `wampctl.rollout.*` extension): URIs, the spec a client submits,
 * the record the router keeps and the events it publishes. Shared by the router (which runs
 * rollouts) and the client (which submits, watches and steers them); pure types and constants.
 *
 * A rollout's state is one plain JSON record (RolloutRecord): a single router keeps it in memory;
 * a router cluster keeps it in the realm's KV bucket, where another node takes the run over when
 * its node goes (docs/rollout.md, "On a cluster").
 */

export const RolloutUri = {
  /** `start(spec: RolloutSpec)` → RolloutRecord (accepted; runs on in the router). Admin only. */
  start: 'wampctl.rollout.start',
  /** `status(uri)` → RolloutRecord: the running rollout of `uri`, else its last one. */
  status: 'wampctl.rollout.status',
  /** `list()` → RolloutRecord[]: the running rollouts of the realm. */
  list: 'wampctl.rollout.list',
  /** `history(uri?)` → RolloutRecord[]: finished rollouts, newest first. */
  history: 'wampctl.rollout.history',
  /** `abort(uri)` → RolloutRecord (ended): restore the starting weights. Admin only. */
  abort: 'wampctl.rollout.abort',
  /** `pause(uri)` / `resume(uri)` → RolloutRecord. Admin only. */
  pause: 'wampctl.rollout.pause',
  resume: 'wampctl.rollout.resume',
  /** `promote(uri, {full?})` → RolloutRecord: on to the next step now (`full`: straight to 100%). Admin only. */
  promote: 'wampctl.rollout.promote',
  /** `undo(uri)` → UndoResult: traffic back to the previous version's callees. Admin only. */
  undo: 'wampctl.rollout.undo',
  /** Every transition of every rollout of the realm: one RolloutUpdate (single positional argument). */
  onUpdate: 'wampctl.rollout.on_update',
} as const

/**
 * CALL option of a directed call: the session id of the one callee of the registration that must
 * take the call (admin roles only). The underscore form is what wampy passes through.
 */
export const DIRECTED_CALLEE_OPTION = '_callee'

/** One step of a canary rollout: a share of the traffic, or a pause (null: until promote/resume). */
export type StepSpec = { percent: number } | { pause_ms: number | null }

/** How the operator names the canary: its session id, or the authid it connects with. */
export type CanarySelector = { session: number } | { authid: string }

export interface CanarySpec {
  kind: 'canary'
  uri: string
  canary: CanarySelector
  /** How long to wait for the canary to register. */
  wait_ms: number
  steps: StepSpec[]
  /** Time between checks (analysis windows). */
  interval_ms: number
  max_error_rate: number
  max_p99_ms: number | null
  /** A window with fewer canary calls is inconclusive. */
  min_calls: number
  /** An inconclusive window: wait (hold), count it as passed, or roll back. */
  on_idle: 'hold' | 'pass' | 'rollback'
  /** At 100%: drain and unregister the old callees, or keep them registered at weight 0 (undo can bring them back). */
  on_success: 'retire-old' | 'keep'
  drain_timeout_ms: number
  /** Bound on the whole run (rolled back when it runs out); null: none. */
  timeout_ms: number | null
  /** A health procedure called at each check on the canary's session only (a directed call); null: none. */
  probe: string | null
  probe_timeout_ms: number
  /** Consecutive failed checks before rolling back. */
  failure_limit: number
  /** Consecutive passed checks before moving to the next step. */
  success_limit: number
  /** Evaluate and report the gates, never roll back. */
  dry_run_analysis: boolean
}

export interface ReplaceSpec {
  kind: 'replace'
  uri: string
  /** New callees to wait for before draining any old one. */
  count: number
  /** New callees are those with this authid; null: those that register after the start. */
  new_authid: string | null
  min_available: number
  timeout_ms: number
  drain_timeout_ms: number
}

export type RolloutSpec = CanarySpec | ReplaceSpec

/** A callee as the rollout found it before changing anything: what rollback, abort and undo put back. */
export interface CalleeRecord {
  session: number
  authid: string | null
  weight: number
  state: string
}

export type RolloutPhase = 'waiting' | 'running' | 'paused' | 'promoting' | 'retiring' | 'rolling_back' | 'replacing'
export type RolloutOutcome = 'promoted' | 'completed' | 'rolled_back' | 'aborted' | 'timed_out' | 'failed'

export type Verdict = 'pass' | 'inconclusive' | 'breach'

/** One side (the canary, or the rest) over one analysis window. */
export interface SideStats {
  calls: number
  errors: number
  error_rate: number | null
  /** The router's p99 in ms (cumulative since the callee registered); the rest: the worst old callee. */
  p99_ms: number | null
  inflight: number
}

export interface WindowStats {
  canary: SideStats
  rest: SideStats
  /** The canary's share of the calls in the window (0..1); null with no call at all. */
  share: number | null
  elapsed_ms: number
}

export interface ProbeResult {
  uri: string
  session: number
  ok: boolean
  /** The error URI (or 'timeout') when not ok. */
  error: string | null
  elapsed_ms: number
}

/** The verdict of one check. */
export interface GateResult {
  verdict: Verdict
  reason: string
  probe: ProbeResult | null
  /** Consecutive failed / passed checks at this step after this one. */
  failures: number
  successes: number
  /** What the rollout does about it: advance, hold (wait for more evidence or a pause), rollback, or report (dry run). */
  action: 'advance' | 'hold' | 'rollback' | 'report'
}

export interface RecordedGate extends GateResult {
  step: number
  percent: number
  at: string
}

/** One traffic step as it went. */
export interface StepRecord {
  step: number
  percent: number
  canary_weight: number
  checks: number
  canary_calls: number
  canary_errors: number
  rest_calls: number
  /** The canary's observed share of the calls over the step's checks (0..1); null with none. */
  share: number | null
}

export interface RolloutRecord {
  version: 1
  id: string
  kind: 'canary' | 'replace'
  realm: string
  uri: string
  registration: number
  started_by: { session: number; authid: string; authrole: string }
  started_at: string
  updated_at: string
  ended_at: string | null
  /** Where it is; an outcome once it ended. */
  status: RolloutPhase | RolloutOutcome
  outcome: RolloutOutcome | null
  /** Why it ended (or paused): a gate, an abort, a timeout. */
  reason: string | null
  spec: RolloutSpec
  /** canary: the new instance (null while waiting for it). */
  canary: CalleeRecord | null
  /** The callees serving before the rollout, with their starting weights and states. */
  old: CalleeRecord[]
  /** canary: index (1-based) into spec.steps of the current step, its share and the canary's weight. */
  step: number | null
  percent: number | null
  canary_weight: number | null
  next_check_at: string | null
  paused: { since: string; until: string | null; by: string } | null
  last_gate: RecordedGate | null
  steps: StepRecord[]
  /** replace: new callees seen; both kinds: old callees retired (drained and unregistered). */
  new_sessions: number[]
  retired: number[]
  /** Old callees kept registered at weight 0 after promotion (on_success keep). */
  kept: number[]
  /** Set once `undo` shifted the traffic back. */
  undone: { at: string; by: string } | null
}

export interface CalleeRef {
  session: number
  authid: string | null
}

export interface WeightRef {
  session: number
  weight: number
}

/** What a rollout reports as it goes (`event` names the kind). */
export type RolloutEvent =
  | { event: 'started'; spec: RolloutSpec; by: string }
  | { event: 'waiting'; uri: string; registration: number; for: string; have: number; want: number; deadline: string }
  | { event: 'canary'; uri: string; registration: number; canary: CalleeRef; old: Array<CalleeRef & { weight: number; state: string }> }
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
  | { event: 'sample'; step: number; percent: number; window: WindowStats; next_step_in_ms: number }
  | ({ event: 'gate'; step: number; percent: number; window: WindowStats } & GateResult)
  | { event: 'paused'; by: string; until: string | null; reason: string }
  | { event: 'resumed'; by: string }
  | { event: 'promote'; by: string; full: boolean }
  | { event: 'rollback'; reason: string; restored: WeightRef[]; canary: CalleeRef; canary_drained: boolean }
  | { event: 'promoted'; canary: CalleeRef; old: CalleeRef[] }
  | { event: 'aborted'; by: string; restored: WeightRef[] }
  | { event: 'new-callee'; callee: CalleeRef; have: number; want: number }
  | { event: 'retire'; callee: CalleeRef; index: number; of: number }
  | { event: 'drain-progress'; session: number; inflight: number }
  | { event: 'retired'; callee: CalleeRef; outcome: string; elapsed_ms: number; drained: boolean }
  | { event: 'holding'; reason: string }
  | { event: 'undone'; by: string; restored: WeightRef[]; canary: CalleeRef | null }
  | { event: 'note'; message: string }
  /** The rollout ended: `outcome` and `reason` as in the record. */
  | { event: 'completed'; outcome: RolloutOutcome; reason: string | null }

/** `wampctl.rollout.on_update` payload: one event of one rollout, with the rollout's record after it. */
export interface RolloutUpdate {
  id: string
  uri: string
  at: string
  event: RolloutEvent
  rollout: RolloutRecord
}

/** Result of `wampctl.rollout.undo`. */
export interface UndoResult {
  uri: string
  /** The rollout undone. */
  id: string
  restored: WeightRef[]
  /** The canary taken out of the traffic (weight 0), or null when it had left. */
  canary: CalleeRef | null
}
