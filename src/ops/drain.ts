import { ErrorUri } from '../protocol/error-uris.js'
import type { MetaClient } from '../client/meta-client.js'
import { CallError, TimeoutError } from '../client/errors.js'
import type { DrainProgress, DrainResult } from '../protocol/extensions.js'
import { requireOperations } from './capabilities.js'
import { calleeRegistrations } from './callee-registrations.js'
import { assertSafe, planDrain, type DrainPlan } from './drain-safety.js'
import { formatDuration } from './duration.js'
import { resolveSession } from './session-target.js'

export type DrainThen = DrainResult['then']

export interface DrainRequest {
  /** A URI or registration id: drain only there. Default: every registration of the session. */
  uri?: string
  timeoutMs: number
  then: DrainThen
  force: boolean
}

/** What `wampctl drain` did or would do (the --json shape). */
export interface DrainReport {
  dry_run: boolean
  /** The safety check failed and --force overrode it. */
  forced: boolean
  plan: DrainPlan
  /** The router's final result; null on a dry run. */
  result: DrainResult | null
  /** Calls in flight the moment the callee left rotation (the router's first progress report). */
  inflight_at_start: number | null
}

/**
 * Look before draining: which registrations, who else serves them, what is in flight. Changes
 * nothing. `sessionRef` is a session id or an authid naming one session.
 */
export async function prepareDrain(meta: MetaClient, sessionRef: string, uri?: string): Promise<DrainPlan> {
  await requireOperations(meta, 'drain')
  const session = await resolveSession(meta, sessionRef, meta.client.sessionId)
  const regs = await calleeRegistrations(meta, session.session, uri)
  return planDrain(session.session, session.authid, regs)
}

/**
 * Drain a callee per `plan`: refuse when unsafe (exit 4) unless forced, then cordon, wait for its
 * calls in flight (`onProgress` sees the count fall) and do `then`. On timeout: TimeoutError
 * (exit 5); the router keeps the callee cordoned and drops no call.
 */
export async function runDrain(
  meta: MetaClient,
  plan: DrainPlan,
  request: DrainRequest,
  onProgress?: (p: DrainProgress) => void,
): Promise<DrainReport> {
  assertSafe(plan, 'drain', request.force)
  const registration = request.uri === undefined ? undefined : plan.registrations[0]!.id
  let first: number | null = null
  try {
    const result = await meta.drain(plan.session, registration, { timeout_ms: request.timeoutMs, then: request.then }, (p) => {
      if (first === null) first = p.inflight
      onProgress?.(p)
    })
    return { dry_run: false, forced: !plan.safe, plan, result, inflight_at_start: first }
  } catch (err) {
    if (err instanceof CallError && err.uri === ErrorUri.drainTimeout) {
      const left = typeof err.kwargs.inflight === 'number' ? err.kwargs.inflight : '?'
      const uris = plan.registrations.map((r) => r.uri).join(', ')
      throw new TimeoutError(
        `drain of session ${plan.session} timed out after ${formatDuration(request.timeoutMs)} with ${left} ${left === 1 ? 'call' : 'calls'} still in flight; no call was dropped and the callee stays cordoned on ${uris} ('wampctl uncordon ${plan.session}' puts it back)`,
      )
    }
    throw err
  }
}
