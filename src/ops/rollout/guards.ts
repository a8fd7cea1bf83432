import type { MetaClient } from '../../client/meta-client.js'
import { SafetyError, UnsupportedError } from '../../client/errors.js'
import type { RegistrationView } from '../../client/views.js'
import { runnerAlive, type RolloutState, type RolloutStore } from './state-file.js'

/**
 * A canary rollout steers traffic with the router's weights. Without the wampctl extensions
 * (Crossbar, Nexus, Bondy, ours with them off) say so, and what can serve instead: `invoke: 'last'`.
 */
export async function requireWeights(meta: MetaClient, uri: string): Promise<void> {
  const caps = await meta.capabilitiesOf()
  if (caps.extensions) return
  throw new UnsupportedError(
    `cannot run a canary rollout of ${uri}: the router at ${meta.client.url} has no traffic weights (it does not serve the wampctl operations extensions). ` +
      `A crude canary without it: have every instance register ${uri} with invoke 'last', so the newest one (the canary) takes ALL the calls at once, ` +
      `with no gradual shift and no health gates; roll back by stopping the canary (or 'wampctl evict SESSION --uri ${uri}').`,
  )
}

/** Weights steer only roundrobin and random registrations. */
export function requireWeightedPolicy(reg: RegistrationView): void {
  if (reg.invoke === 'roundrobin' || reg.invoke === 'random') return
  throw new UnsupportedError(
    `cannot run a canary rollout of ${reg.uri}: its registration uses invoke '${reg.invoke}', and traffic weights steer only 'roundrobin' and 'random' registrations`,
  )
}

/** A rolling replacement drains the old callees: without the extensions there is no drain. */
export async function requireDrain(meta: MetaClient, uri: string): Promise<void> {
  const caps = await meta.capabilitiesOf()
  if (caps.extensions) return
  throw new UnsupportedError(
    `cannot replace the callees of ${uri} without failing calls: the router at ${meta.client.url} cannot drain callees (it does not serve the wampctl operations extensions); ` +
      `stop old instances yourself once new ones serve, or remove them with 'wampctl evict' (calls in flight on them fail)`,
  )
}

/**
 * One rollout per (realm, URI) at a time; a leftover state file means one may still be half done.
 * A kept (`promoted`) record is finished: it is returned, for the new rollout to supersede.
 */
export function requireNoRollout(store: RolloutStore, uri: string): RolloutState | null {
  const state = store.read()
  if (state === null) return null
  if (state.status === 'promoted') return state
  const alive = runnerAlive(state)
  const who =
    alive === true
      ? `still running (pid ${state.pid})`
      : alive === false
        ? `left over by pid ${state.pid}, which is gone`
        : `running on ${state.host} (pid ${state.pid})`
  throw new SafetyError(
    `a ${state.kind} rollout of ${uri} started ${state.started_at} is ${who}: see 'wampctl rollout status ${uri}', or 'wampctl rollout abort ${uri}' to restore the starting weights (state file ${store.path})`,
  )
}
