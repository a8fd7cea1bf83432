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
    rollouts.dispose()
  }
}

function extensionProcedures(realm: Realm, statsIntervalMs: number): Record<string, MetaProcedure> {
  const dealer = realm.dealer
  const control: CalleeControl = dealer
  const cordon = (state: 'cordoned' | 'active', cause: string): MetaProcedure => ({
    mutating: true,
    handler: ({ args }) => {
      const callees = targetCallees(realm, args[0], args[1])
      for (const c of callees) control.setCalleeState(c, state, cause)
      return result({ session: args[0], registrations: callees.map((c) => c.registration.id), state })
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
        const session = realm.sessions.get(sessionId)
        const callee = session === undefined ? undefined : reg.calleeOf(session)
        if (callee === undefined) throw new NoSuchSessionError(sessionId)
        control.setCalleeWeight(callee, weight)
        return result({ registration: reg.id, session: sessionId, weight })
      },
    },
  }
}

/**
 * Once per interval: records every callee's counters in its recent window (O(callees) per
 * interval, nothing on the hot path), and while anyone subscribes publishes
 * wampctl.stats.on_tick: only the callees whose counters moved since the previous tick, as
 * compact tuples of cumulative values.
 */
function startTicker(realm: Realm, intervalMs: number): () => void {
  const seen = new WeakMap<Callee, number>()
  const seenQueued = new WeakMap<Registration, number>()
  let seq = 0
  const tick = (): void => {
    const now = Date.now()
    for (const reg of realm.dealer.byId.values()) for (const c of reg.callees) c.recent.sample(c.stats.calls, c.stats.errors, now)
    if (!realm.broker.hasSubscribers(ExtensionUri.onTick)) return
    const callees: StatsTick['callees'] = []
    const queued: NonNullable<StatsTick['queued']> = []
    for (const reg of realm.dealer.byId.values()) {
      if ((seenQueued.get(reg) ?? 0) !== reg.queued) {
        seenQueued.set(reg, reg.queued)
        queued.push([reg.id, reg.queued])
      }
      for (const c of reg.callees) {
        if (seen.get(c) === c.stats.version) continue
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
    const payload: StatsTick = { seq: ++seq, at: new Date().toISOString(), interval_ms: intervalMs, callees }
    if (queued.length > 0) payload.queued = queued
    realm.publishMeta(ExtensionUri.onTick, [payload])
  }
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
