import { RolledBackError, TimeoutError, WampctlError } from '../../client/errors.js'
import type { RolloutRecord } from '../../protocol/rollout.js'

/**
 * The error a finished rollout ends the command with (null: it succeeded). Exit codes as the
 * CLI always had them: 0 promoted (or completed), 6 rolled back or aborted, 5 timed out, 1 failed.
 */
export function outcomeError(r: RolloutRecord): WampctlError | null {
  const why = `${r.kind} rollout of ${r.uri} ${r.outcome?.replace('_', ' ') ?? r.status}: ${r.reason ?? 'no reason given'}`
  switch (r.outcome) {
    case 'promoted':
    case 'completed':
      return null
    case 'rolled_back':
    case 'aborted':
      return new RolledBackError(why)
    case 'timed_out':
      return new TimeoutError(why)
    default:
      return new WampctlError(why, 'WAMPCTL_ROLLOUT_FAILED', 1)
  }
}

/** `rollout status`/`watch` of a rollout still running: 0; of one that ended: its outcome's exit code. */
export function exitCodeOf(r: RolloutRecord): number {
  return r.outcome === null ? 0 : (outcomeError(r)?.exitCode ?? 0)
}

/** What to tell an operator who stopped watching (Ctrl-C): the rollout goes on in the router. */
export function steeringHint(uri: string): string {
  return `stopped watching; the rollout of ${uri} goes on in the router: 'wampctl rollout watch ${uri}' follows it again, 'wampctl rollout pause|resume|promote ${uri}' steer it, 'wampctl rollout abort ${uri}' stops it and restores the starting weights`
}
