import type { CanarySpec, ReplaceSpec, RolloutSpec, StepSpec } from '../../../protocol/rollout.js'
import { InvalidArgumentError } from '../../errors.js'
import type { Dict } from '../../inbound.js'

/** Defaults of a canary spec (the CLI's defaults too). */
export const CANARY_DEFAULTS: Omit<CanarySpec, 'kind' | 'uri' | 'canary'> = {
  wait_ms: 60_000,
  steps: [{ percent: 1 }, { percent: 5 }, { percent: 25 }, { percent: 50 }, { percent: 100 }],
  interval_ms: 30_000,
  max_error_rate: 0.01,
  max_p99_ms: null,
  min_calls: 1,
  on_idle: 'hold',
  on_success: 'retire-old',
  drain_timeout_ms: 30_000,
  timeout_ms: null,
  probe: null,
  probe_timeout_ms: 5_000,
  failure_limit: 1,
  success_limit: 1,
  dry_run_analysis: false,
}

export const REPLACE_DEFAULTS: Omit<ReplaceSpec, 'kind' | 'uri'> = {
  count: 3,
  new_authid: null,
  min_available: 1,
  timeout_ms: 300_000,
  drain_timeout_ms: 30_000,
}

/** The spec of `wampctl.rollout.start`, checked field by field (invalid_argument names the field). */
export function parseSpec(raw: Dict): RolloutSpec {
  const uri = str(raw, 'uri')
  if (raw.kind === 'replace') {
    const d = REPLACE_DEFAULTS
    return {
      kind: 'replace',
      uri,
      count: int(raw, 'count', d.count, 1),
      new_authid: raw.new_authid === undefined || raw.new_authid === null ? null : str(raw, 'new_authid'),
      min_available: int(raw, 'min_available', d.min_available, 0),
      timeout_ms: ms(raw, 'timeout_ms', d.timeout_ms),
      drain_timeout_ms: ms(raw, 'drain_timeout_ms', d.drain_timeout_ms),
    }
  }
  if (raw.kind !== 'canary') throw new InvalidArgumentError(`kind must be 'canary' or 'replace', not ${JSON.stringify(raw.kind)}`)
  const d = CANARY_DEFAULTS
  const c = raw.canary as Dict | undefined
  const canary =
    c !== null && typeof c === 'object' && typeof c.session === 'number'
      ? { session: c.session }
      : c !== null && typeof c === 'object' && typeof c.authid === 'string'
        ? { authid: c.authid }
        : undefined
  if (canary === undefined) throw new InvalidArgumentError('canary must be {session: ID} or {authid: AUTHID}')
  const rate = raw.max_error_rate ?? d.max_error_rate
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new InvalidArgumentError('max_error_rate must be a fraction from 0 to 1')
  const onIdle = raw.on_idle ?? d.on_idle
  if (onIdle !== 'hold' && onIdle !== 'pass' && onIdle !== 'rollback')
    throw new InvalidArgumentError('on_idle must be hold, pass or rollback')
  const onSuccess = raw.on_success ?? d.on_success
  if (onSuccess !== 'retire-old' && onSuccess !== 'keep') throw new InvalidArgumentError('on_success must be retire-old or keep')
  return {
    kind: 'canary',
    uri,
    canary,
    wait_ms: ms(raw, 'wait_ms', d.wait_ms),
    steps: raw.steps === undefined ? d.steps : steps(raw.steps),
    interval_ms: ms(raw, 'interval_ms', d.interval_ms, 1),
    max_error_rate: rate,
    max_p99_ms: raw.max_p99_ms === undefined || raw.max_p99_ms === null ? null : ms(raw, 'max_p99_ms', 0),
    min_calls: int(raw, 'min_calls', d.min_calls, 1),
    on_idle: onIdle,
    on_success: onSuccess,
    drain_timeout_ms: ms(raw, 'drain_timeout_ms', d.drain_timeout_ms),
    timeout_ms: raw.timeout_ms === undefined || raw.timeout_ms === null ? null : ms(raw, 'timeout_ms', 0, 1),
    probe: raw.probe === undefined || raw.probe === null ? null : str(raw, 'probe'),
    probe_timeout_ms: ms(raw, 'probe_timeout_ms', d.probe_timeout_ms, 1),
    failure_limit: int(raw, 'failure_limit', d.failure_limit, 1),
    success_limit: int(raw, 'success_limit', d.success_limit, 1),
    dry_run_analysis: raw.dry_run_analysis === true,
  }
}

/** Rising percentages ending at 100, with pauses anywhere but first and last. */
function steps(v: unknown): StepSpec[] {
  const bad = (why: string): InvalidArgumentError => new InvalidArgumentError(`steps: ${why}`)
  if (!Array.isArray(v) || v.length === 0) throw bad('a non-empty list of {percent} and {pause_ms} steps')
  const out: StepSpec[] = []
  let last = 0
  for (const s of v as Dict[]) {
    if (s !== null && typeof s === 'object' && 'pause_ms' in s) {
      if (s.pause_ms !== null && (typeof s.pause_ms !== 'number' || !(s.pause_ms >= 0))) throw bad('pause_ms must be milliseconds or null')
      if (last === 0) throw bad('a pause cannot come before the first traffic step')
      out.push({ pause_ms: s.pause_ms as number | null })
      continue
    }
    const p = s?.percent
    if (typeof p !== 'number' || !(p > 0 && p <= 100)) throw bad('every percent is above 0 and at most 100')
    if (p <= last) throw bad('percentages must rise')
    last = p
    out.push({ percent: p })
  }
  const end = out[out.length - 1]!
  if (!('percent' in end) || end.percent !== 100) throw bad('the last step must be 100 (the canary takes all the traffic)')
  return out
}

function str(raw: Dict, name: string): string {
  const v = raw[name]
  if (typeof v !== 'string' || v.length === 0) throw new InvalidArgumentError(`${name} must be a non-empty string`)
  return v
}

function int(raw: Dict, name: string, fallback: number, min: number): number {
  const v = raw[name] ?? fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new InvalidArgumentError(`${name} must be an integer of at least ${min}`)
  return v
}

function ms(raw: Dict, name: string, fallback: number, min = 0): number {
  const v = raw[name] ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw new InvalidArgumentError(`${name} must be milliseconds (at least ${min})`)
  return v
}
