import type { MetaClient } from '../../client/meta-client.js'
import { SafetyError } from '../../client/errors.js'
import { CanaryRun } from './canary-run.js'
import type { CalleeRef, EventSink } from './events.js'
import { requireNoRollout, requireWeightedPolicy, requireWeights } from './guards.js'
import type { Gates } from './health.js'
import type { RolloutStore } from './state-file.js'
import { activeWeight, pickCanary, record, type CanarySelector } from './canary-callees.js'

export type { CanarySelector }

export interface CanaryOptions {
  uri: string
  canary: CanarySelector
  /** How long to wait for the canary to register. */
  waitMs: number
  /** Traffic percentages, rising, ending at 100. */
  steps: number[]
  /** How long each step is watched before the gates decide. */
  intervalMs: number
  gates: Gates
  /** A window with too few canary calls to judge: hold the step (default), count it as passed, or roll back. */
  onIdle: 'hold' | 'pass' | 'rollback'
  /** At 100%: drain and unregister the old callees one by one, or keep them registered at weight 0. */
  onSuccess: 'retire-old' | 'keep'
  drainTimeoutMs: number
  /** Bound on the whole run (rolled back, exit 5, when it runs out); null: none. */
  timeoutMs: number | null
  /** Report live `sample` events this often within a window (the TTY view); null: none. */
  sampleMs: number | null
  store: RolloutStore
  /** Aborts on Ctrl-C / SIGTERM: the rollout rolls back. */
  signal?: AbortSignal
  onEvent?: EventSink
}

/** One step as it went. */
export interface StepRecord {
  step: number
  percent: number
  canary_weight: number
  /** Windows watched at this step (more than 1 when idle windows held it). */
  windows: number
  canary_calls: number
  canary_errors: number
  rest_calls: number
  /** The canary's observed share of the calls over the step's windows (0..1); null with none. */
  share: number | null
}

/** What `wampctl rollout canary` returns (the --json result). */
export interface CanaryResult {
  uri: string
  registration: number
  outcome: 'promoted'
  canary: CalleeRef
  steps: StepRecord[]
  /** retire-old: the old callees drained and unregistered. */
  retired: Array<CalleeRef & { outcome: string }>
  /** keep: the old callees left registered at weight 0. */
  kept: CalleeRef[]
  elapsed_ms: number
}

/**
 * A canary rollout of `uri`: find the canary (waiting for it to register), move its share of the
 * traffic through the steps with the router's weights, judge every window by the gates, and
 * either promote it (retiring or keeping the old callees) or roll back at the first breach:
 * RolledBackError (exit 6), or TimeoutError (exit 5) when --wait or --timeout run out.
 */
export async function runCanary(meta: MetaClient, options: CanaryOptions): Promise<CanaryResult> {
  await requireWeights(meta, options.uri)
  const registration = await meta.resolveRegistration(options.uri)
  const reg = await meta.describe(registration)
  requireWeightedPolicy(reg)
  const kept = requireNoRollout(options.store, options.uri)
  if (kept !== null) {
    options.onEvent?.({
      event: 'note',
      message: `superseding the kept record of the canary rollout started ${kept.started_at} (its old callees stay as they are now)`,
    })
  }
  const found = pickCanary(reg, options.canary, new Set())
  const old = reg.callees.filter((c) => c.session !== found?.session).map(record)
  if (activeWeight(old) === 0) {
    throw new SafetyError(
      `no callee of ${reg.uri} besides the canary takes calls (active with a weight above 0): there is nothing to compare the canary with or to fall back on`,
    )
  }
  if (found !== undefined && found.state !== 'active') {
    throw new SafetyError(
      `the canary (session ${found.session}) is ${found.state} on ${reg.uri}: 'wampctl uncordon ${found.session}' first, or start a fresh instance`,
    )
  }
  return new CanaryRun(meta, options, reg, old, found === undefined ? undefined : record(found)).run()
}
