import { SafetyError } from '../../client/errors.js'
import type { MetaClient } from '../../client/meta-client.js'
import { setCordon } from '../../ops/cordon.js'
import { prepareDrain, runDrain } from '../../ops/drain.js'
import { evict, planEvict } from '../../ops/evict.js'

export type CalleeAction = 'cordon' | 'uncordon' | 'drain' | 'evict'

export interface ActionTarget {
  registration: number
  uri: string
  session: number
  authid: string | null
}

/** What the live views can do to one callee; each resolves with a line for the status bar. */
export type CalleeActions = Record<CalleeAction, (target: ActionTarget, progress: (line: string) => void) => Promise<string>>

export const ACTION_KEYS: Record<string, CalleeAction> = { c: 'cordon', u: 'uncordon', d: 'drain', e: 'evict' }

/** How long a drain from a live view waits for calls in flight before leaving the callee cordoned. */
export const DRAIN_TIMEOUT_MS = 30_000

export function describeTarget(t: ActionTarget): string {
  return `session ${t.session}${t.authid !== null ? ` (${t.authid})` : ''} of ${t.uri}`
}

/** Compact, for status lines and the event log. */
function short(t: ActionTarget): string {
  return `${t.uri} ${t.session}`
}

/** The question a live view asks before acting. */
export function confirmQuestion(action: CalleeAction, t: ActionTarget): string {
  const what = {
    cordon: 'Cordon (no new calls)',
    uncordon: 'Uncordon (take calls again)',
    drain: 'Drain (cordon, wait for calls in flight)',
    evict: 'Evict (remove the callee now)',
  }[action]
  return `${what} ${describeTarget(t)}? [y/N]`
}

/**
 * The four callee operations, through the same operations code (src/ops) the commands use, so a
 * key press obeys the same safety rules as `wampctl cordon|drain|evict`: cordoning or draining
 * the last callee that takes calls is refused (a live view has no --force). A drain leaves the
 * callee cordoned (`u` takes it back). `meta()` is the current connection (the views reconnect).
 */
export function opsActions(meta: () => MetaClient): CalleeActions {
  const reg = (t: ActionTarget): string => String(t.registration)
  return {
    async cordon(t) {
      const r = await setCordon(meta(), String(t.session), { uri: reg(t), cordon: true })
      return r.registrations.some((c) => c.changed) ? `cordoned ${short(t)}` : `${short(t)} was already cordoned`
    },
    async uncordon(t) {
      const r = await setCordon(meta(), String(t.session), { uri: reg(t), cordon: false })
      return r.registrations.some((c) => c.changed) ? `uncordoned ${short(t)}` : `${short(t)} was already active`
    },
    async drain(t, progress) {
      const m = meta()
      const plan = await prepareDrain(m, String(t.session), reg(t))
      progress(`draining ${short(t)}…`)
      const r = await runDrain(m, plan, { uri: reg(t), timeoutMs: DRAIN_TIMEOUT_MS, then: 'none', force: false }, (p) =>
        progress(`draining ${short(t)}: ${p.inflight} in flight`),
      )
      return `drained ${short(t)} in ${r.result?.elapsed_ms ?? '?'} ms (stays cordoned; u uncordons)`
    },
    async evict(t) {
      const m = meta()
      const plan = await planEvict(m, String(t.session), reg(t))
      await evict(m, plan, { uri: reg(t) })
      return `evicted ${short(t)}`
    },
  }
}

/** What a refused or failed action says on the status line: the operations' message, without the command-line hints. */
export function actionFailure(action: CalleeAction, err: unknown): string {
  const message = (err as Error).message.replace(/,? or pass --force$/, '')
  return err instanceof SafetyError ? `${action} refused: ${message}` : `${action} failed: ${message}`
}
