import { CLUSTER_FEATURE } from '../../protocol/cluster.js'
import { ExtensionUri, RECENT_WINDOW_TICKS, type RouterSnapshot, type StatsTick } from '../../protocol/extensions.js'
import { InvalidArgumentError, NoSuchRegistrationError, NoSuchSessionError } from '../errors.js'
import { result, type MetaProcedure } from '../meta-procedure.js'
import { MAX_WEIGHT } from '../dealer.js'
import { idArg } from '../meta/arguments.js'
import type { Realm } from '../realm.js'
import type { Callee, Registration } from '../registration.js'
import { registrationSnapshot, registrationsSnapshot } from './callee-snapshot.js'
import { targetCallees, type CalleeControl } from './callee-state.js'
import { drain } from './drain.js'
import { RolloutController } from './rollout/controller.js'
import { rolloutProcedures } from './rollout/procedures.js'

/** 2: callees carry `recent` (counts over the recent window) in snapshot and describe. */
export const EXTENSIONS_VERSION = 2

/**
 * The wampctl.* operations extensions of one realm (docs/architecture.md): statistics snapshots, cordon,
 * drain, weights, rollouts run by the router, and the stats ticker. Returns a function that stops
 * the ticker and the rollouts.
 */
export function installExtensions(realm: Realm, options: { statsIntervalMs: number }): () => void {
  realm.addProcedures(extensionProcedures(realm, options.statsIntervalMs))
  const rollouts = new RolloutController(realm)
  realm.addProcedures(rolloutProcedures(rollouts))
  const stopTicker = startTicker(realm, options.statsIntervalMs)
  return () => {
    stopTicker()
    void rollouts.dispose()
  }
}

function extensionProcedures(realm: Realm, statsIntervalMs: number): Record<string, MetaProcedure> {
  const dealer = realm.dealer
  const control: CalleeControl = dealer
  const cordon = (state: 'cordoned' | 'active', cause: string): MetaProcedure => ({
    mutating: true,
    handler: ({ args }) => {
      const callees = targetCallees(realm, args[0], args[1])
      const answer = result({ session: args[0], registrations: callees.map((c) => c.registration.id), state })
      // A cluster node writes the registry (every node applies it) and answers once applied here.
      const ops = realm.cluster?.ops
      if (ops !== undefined) return Promise.all(callees.map((c) => ops.update(c, { state, cause }))).then(() => answer)
      for (const c of callees) control.setCalleeState(c, state, cause)
      return answer
    },
  })
  return {
    [ExtensionUri.info]: {
      mutating: false,
      handler: () =>
        result({
          version: EXTENSIONS_VERSION,
          features: [
            'snapshot',
            'describe',
            'cordon',
            'drain',
            'weights',
            'stats_tick',
            'callee_state',
            'concurrency',
            'least_loaded',
            'rkey',
            'recent',
            'rollout',
            'directed_call',
            ...(realm.cluster === undefined ? [] : [CLUSTER_FEATURE]),
          ],
          stats_interval_ms: statsIntervalMs,
          recent_window_ms: statsIntervalMs * RECENT_WINDOW_TICKS,
          realm: realm.name,
        }),
    },
    [ExtensionUri.snapshot]: {
      mutating: false,
      handler: () => {
        // A cluster node merges every node's part: each callee's statistics live on its own node.
        const ops = realm.cluster?.ops
        if (ops !== undefined) return ops.snapshot().then(result)
        const snap: RouterSnapshot = {
          at: new Date().toISOString(),
          realm: realm.name,
          registrations: registrationsSnapshot(dealer.byId.values()),
        }
        return result(snap)
      },
    },
    [ExtensionUri.describe]: {
      mutating: false,
      handler: ({ args }) => {
        const id = idArg(args, 0, 'registration')
        const ops = realm.cluster?.ops
        if (ops !== undefined) return ops.describe(id).then(result)
        const reg = dealer.byId.get(id)
        if (reg === undefined) throw new NoSuchRegistrationError(id)
        return result(registrationSnapshot(reg))
      },
    },
    [ExtensionUri.cordon]: cordon('cordoned', 'cordon'),
    [ExtensionUri.uncordon]: cordon('active', 'uncordon'),
    [ExtensionUri.drain]: { mutating: true, handler: (call) => drain(realm, call) },
    [ExtensionUri.setWeight]: {
      mutating: true,
      handler: ({ args }) => {
        const regId = idArg(args, 0, 'registration')
        const sessionId = idArg(args, 1, 'session')
        const weight = args[2]
        if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > MAX_WEIGHT) {
          throw new InvalidArgumentError(`argument 3 (weight) must be a number from 0 to ${MAX_WEIGHT}`)
        }
        const reg = dealer.byId.get(regId)
        if (reg === undefined) throw new NoSuchRegistrationError(regId)
        const session = realm.sessions.get(sessionId) ?? realm.cluster?.remoteSessions.get(sessionId)
        const callee = session === undefined ? undefined : reg.calleeOf(session)
        if (callee === undefined) throw new NoSuchSessionError(sessionId)
        const answer = result({ registration: reg.id, session: sessionId, weight })
        const ops = realm.cluster?.ops
        if (ops !== undefined) return ops.update(callee, { weight, cause: 'set_weight' }).then(() => answer)
        control.setCalleeWeight(callee, weight)
        return answer
      },
    },
  }
}

/**
 * Once per interval: records every callee's counters in its recent window (O(callees) per
 * interval, nothing on the hot path), and while anyone subscribes publishes
 * wampctl.stats.on_tick: only the callees whose counters moved since the previous tick, as
 * compact tuples of cumulative values. A cluster node ticks its own callees only (the others'
 * statistics live on their nodes), sends them to the other nodes every tick, and publishes to its
 * subscribers its own merged with what the others sent (cluster/stats-ticks.ts).
 */
function startTicker(realm: Realm, intervalMs: number): () => void {
  const seen = new WeakMap<Callee, number>()
  const seenQueued = new WeakMap<Registration, number>()
  let seq = 0
  const tick = (): void => {
    const now = Date.now()
    const ops = realm.cluster?.ops
    const own = (c: Callee): boolean => ops === undefined || ops.isLocal(c)
    for (const reg of realm.dealer.byId.values())
      for (const c of reg.callees) if (own(c)) c.recent.sample(c.stats.calls, c.stats.errors, now)
    const subscribed = realm.broker.hasSubscribers(ExtensionUri.onTick)
    // A cluster node's part goes to the other nodes while any of them has a subscriber.
    const shared = ops?.ticksWanted() ?? false
    if (!subscribed && !shared) return
    let callees: StatsTick['callees'] = []
    let queued: NonNullable<StatsTick['queued']> = []
    for (const reg of realm.dealer.byId.values()) {
      if ((seenQueued.get(reg) ?? 0) !== reg.queued) {
        seenQueued.set(reg, reg.queued)
        queued.push([reg.id, reg.queued])
      }
      for (const c of reg.callees) {
        if (!own(c) || seen.get(c) === c.stats.version) continue
        seen.set(c, c.stats.version)
        callees.push([
          reg.id,
          c.session.id,
          c.stats.calls,
          c.stats.errors,
          c.inflight,
          c.stats.percentileMs(0.5),
          c.stats.percentileMs(0.99),
        ])
      }
    }
    if (ops !== undefined) {
      if (shared) ops.ticks.share(callees, queued)
      const merged = ops.ticks.merge(callees, queued, (id) => realm.dealer.byId.get(id)?.queued ?? 0)
      callees = merged.callees
      queued = merged.queued ?? []
      if (!subscribed) return
    }
    const payload: StatsTick = { seq: ++seq, at: new Date().toISOString(), interval_ms: intervalMs, callees }
    if (queued.length > 0) payload.queued = queued
    realm.publishMeta(ExtensionUri.onTick, [payload])
  }
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
