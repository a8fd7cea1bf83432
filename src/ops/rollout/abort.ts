import type { MetaClient } from '../../client/meta-client.js'
import { NotFoundError } from '../../client/errors.js'
import type { CalleeView } from '../../client/views.js'
import { viewTakesCalls } from '../../client/views.js'
import { runnerAlive, type RolloutStore } from './state-file.js'
import { sleep } from './wait.js'

/** What `wampctl rollout abort` did (the --json result). */
export interface AbortResult {
  uri: string
  registration: number
  kind: 'canary' | 'replace'
  /** The runner: stopped when asked, gone (its process had ended, or the rollout finished with --on-success keep), unresponsive (restored anyway), unknown (other host, restored after the wait). */
  runner: 'stopped' | 'gone' | 'unresponsive' | 'unknown'
  /** Old callees put back to their starting weight and state. */
  restored: Array<{ session: number; weight: number; state: string }>
  /** The canary taken out of the traffic (weight 0), if it was there. */
  canary: { session: number; weight: number } | null
  /** Callees left as they are, and why. */
  skipped: Array<{ session: number; reason: string }>
}

export interface AbortOptions {
  /** How long to wait for a running rollout to stop before restoring anyway. Default 5000 ms. */
  waitMs?: number
}

/**
 * Abort the rollout of `uri` recorded in `store`: tell its runner to stop (and wait until it has),
 * put the old callees back to their starting weights and states, take the canary out of the
 * traffic (weight 0, uncordoned), and remove the state file. Old callees first, so some callee
 * always takes calls; the canary keeps its weight when no old callee is left to serve.
 */
export async function abortRollout(meta: MetaClient, store: RolloutStore, uri: string, options: AbortOptions = {}): Promise<AbortResult> {
  const state = store.read()
  if (state === null) throw new NotFoundError(`no rollout of ${uri} is recorded (no ${store.path})`)
  store.requestAbort()
  // A kept (promoted) record has no runner any more; a running one is asked to stop first.
  const runner =
    state.status === 'promoted'
      ? 'gone'
      : await waitForRunner(store, state.pid === process.pid ? null : () => runnerAlive(state), options.waitMs ?? 5000)
  const result: AbortResult = {
    uri: state.uri,
    registration: state.registration,
    kind: state.kind,
    runner,
    restored: [],
    canary: null,
    skipped: [],
  }
  let callees: CalleeView[] = []
  try {
    callees = (await meta.describe(state.registration)).callees
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err
  }
  const present = new Map(callees.map((c) => [c.session, c]))
  for (const old of state.old) {
    const cur = present.get(old.session)
    if (cur === undefined) {
      result.skipped.push({ session: old.session, reason: 'no longer registered' })
      continue
    }
    if (cur.state === 'draining') {
      result.skipped.push({ session: old.session, reason: 'draining (a drain in progress cannot be undone)' })
      continue
    }
    if (cur.weight !== old.weight) await meta.setWeight(state.registration, old.session, old.weight)
    if (old.state === 'active' && cur.state !== 'active') await meta.uncordon(old.session, state.registration)
    result.restored.push({ session: old.session, weight: old.weight, state: old.state === 'active' ? 'active' : cur.state })
  }
  const canary = state.canary === null ? undefined : present.get(state.canary.session)
  if (canary !== undefined) {
    const oldServe = state.old.some((o) => {
      const cur = present.get(o.session)
      return cur !== undefined && cur.state !== 'draining' && o.state === 'active' && o.weight > 0
    })
    if (!oldServe && viewTakesCalls(canary)) {
      result.skipped.push({ session: canary.session, reason: 'the canary is the only callee left taking calls: kept as it is' })
    } else if (canary.state === 'draining') {
      result.skipped.push({ session: canary.session, reason: 'draining (a drain in progress cannot be undone)' })
    } else {
      if (canary.weight !== 0) await meta.setWeight(state.registration, canary.session, 0)
      if (canary.state !== 'active') await meta.uncordon(canary.session, state.registration)
      result.canary = { session: canary.session, weight: 0 }
    }
  }
  store.remove()
  return result
}

/** Wait until the runner confirms it stopped (or its process is gone); `alive` null: in this process. */
async function waitForRunner(store: RolloutStore, alive: (() => boolean | null) | null, waitMs: number): Promise<AbortResult['runner']> {
  const deadline = Date.now() + waitMs
  for (;;) {
    if (store.stopped()) return 'stopped'
    const a = alive === null ? true : alive()
    if (a === false) return 'gone'
    if (Date.now() >= deadline) return a === null ? 'unknown' : 'unresponsive'
    await sleep(50)
  }
}
