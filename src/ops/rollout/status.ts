import type { MetaClient } from '../../client/meta-client.js'
import { NotFoundError } from '../../client/errors.js'
import type { CalleeView, RegistrationView } from '../../client/views.js'
import type { RecordedGate, RolloutState } from './state-file.js'
import { runnerAlive, type RolloutStore } from './state-file.js'

export type CalleeRole = 'canary' | 'old' | 'new' | 'other'

export interface StatusCallee {
  session: number
  authid: string | null
  /** Its part in the rollout (`other` without one). */
  role: CalleeRole
  state: string
  weight: number | null
  /** Weight before the rollout (null: not recorded). */
  start_weight: number | null
  calls: number | null
  errors: number | null
  error_rate: number | null
  inflight: number | null
  p99_ms: number | null
}

/** Totals since each callee registered (cumulative, not per window). */
export interface SideTotals {
  callees: number
  calls: number
  errors: number
  error_rate: number | null
  /** The worst p99 among them. */
  p99_ms: number | null
}

/** What `wampctl rollout status` returns (the --json result). */
export interface RolloutStatusView {
  uri: string
  registration: number | null
  invoke: string | null
  rollout: null | {
    kind: RolloutState['kind']
    status: RolloutState['status']
    started_at: string
    updated_at: string
    /** running: its process is alive; gone: it ended without cleaning up (abort restores); unknown: another host; finished: promoted with --on-success keep (abort brings the old callees back). */
    runner: 'running' | 'gone' | 'unknown' | 'finished'
    pid: number
    host: string
    step: number | null
    steps: number[]
    percent: number | null
    canary_weight: number | null
    next_step_at: string | null
    last_gate: RecordedGate | null
    canary: number | null
    retired: number[]
    options: Record<string, unknown>
    state_file: string
  }
  callees: StatusCallee[]
  /** With a canary rollout: the canary against the rest (the old callees). */
  canary: SideTotals | null
  rest: SideTotals | null
}

/** The rollout of `uri` (from its state file) with the live figures, or without one the callees' weights and states. */
export async function rolloutStatus(meta: MetaClient, store: RolloutStore, uri: string): Promise<RolloutStatusView> {
  const state = store.read()
  let reg: RegistrationView | null = null
  try {
    reg = await meta.describe(state?.registration ?? (await meta.resolveRegistration(uri)))
  } catch (err) {
    if (!(err instanceof NotFoundError) || state === null) throw err
  }
  const roles = new Map<number, CalleeRole>()
  const start = new Map<number, number>()
  for (const o of state?.old ?? []) {
    roles.set(o.session, 'old')
    start.set(o.session, o.weight)
  }
  for (const s of state?.new_sessions ?? []) roles.set(s, 'new')
  if (state?.canary) {
    roles.set(state.canary.session, 'canary')
    start.set(state.canary.session, state.canary.weight)
  }
  const callees = (reg?.callees ?? []).map((c): StatusCallee => ({
    session: c.session,
    authid: c.authid,
    role: roles.get(c.session) ?? 'other',
    state: c.state,
    weight: c.weight,
    start_weight: start.get(c.session) ?? null,
    calls: c.calls,
    errors: c.errors,
    error_rate: c.calls === null || c.errors === null || c.calls === 0 ? null : c.errors / c.calls,
    inflight: c.inflight,
    p99_ms: c.p99_ms,
  }))
  const isCanary = state?.kind === 'canary' && state.canary !== null
  const pick = (role: CalleeRole): CalleeView[] => (reg?.callees ?? []).filter((c) => roles.get(c.session) === role)
  const alive = state === null ? null : runnerAlive(state)
  return {
    uri: reg?.uri ?? state?.uri ?? uri,
    registration: reg?.id ?? state?.registration ?? null,
    invoke: reg?.invoke ?? null,
    rollout:
      state === null
        ? null
        : {
            kind: state.kind,
            status: state.status,
            started_at: state.started_at,
            updated_at: state.updated_at,
            runner: state.status === 'promoted' ? 'finished' : alive === null ? 'unknown' : alive ? 'running' : 'gone',
            pid: state.pid,
            host: state.host,
            step: state.step_index === null ? null : state.step_index + 1,
            steps: state.steps,
            percent: state.percent,
            canary_weight: state.canary_weight,
            next_step_at: state.next_step_at,
            last_gate: state.last_gate,
            canary: state.canary?.session ?? null,
            retired: state.retired,
            options: state.options,
            state_file: store.path,
          },
    callees,
    canary: isCanary ? totals(pick('canary')) : null,
    rest: isCanary ? totals(pick('old')) : null,
  }
}

function totals(callees: CalleeView[]): SideTotals {
  let calls = 0
  let errors = 0
  let p99: number | null = null
  for (const c of callees) {
    calls += c.calls ?? 0
    errors += c.errors ?? 0
    if (c.p99_ms !== null && (p99 === null || c.p99_ms > p99)) p99 = c.p99_ms
  }
  return { callees: callees.length, calls, errors, error_rate: calls === 0 ? null : errors / calls, p99_ms: p99 }
}
