import type { MetaClient } from '../../client/meta-client.js'

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
  return `${what} ${describeTarget(t)}? [y/n]`
}

/**
 * The four callee operations over the meta API: wampctl.callee.cordon / uncordon / drain (the
 * callee stays cordoned afterwards: `u` takes it back) and wamp.registration.remove_callee.
 */
export function metaActions(meta: MetaClient): CalleeActions {
  return {
    async cordon(t) {
      await meta.cordon(t.session, t.registration)
      return `cordoned ${short(t)}`
    },
    async uncordon(t) {
      await meta.uncordon(t.session, t.registration)
      return `uncordoned ${short(t)}`
    },
    async drain(t, progress) {
      progress(`draining ${short(t)}…`)
      const r = await meta.drain(t.session, t.registration, { timeout_ms: DRAIN_TIMEOUT_MS, then: 'none' }, (p) =>
        progress(`draining ${short(t)}: ${p.inflight} in flight`),
      )
      return `drained ${short(t)} in ${r.elapsed_ms} ms (stays cordoned; u uncordons)`
    },
    async evict(t) {
      await meta.removeCallee(t.registration, t.session, 'wampctl.evicted')
      return `evicted ${short(t)}`
    },
  }
}
