import { CalleeRemovalUri, CloseUri, ErrorUri } from '../../protocol/error-uris.js'
import type { DrainProgress, DrainResult } from '../../protocol/extensions.js'
import { InvalidArgumentError, RouterError } from '../errors.js'
import type { MetaCall, MetaResult } from '../meta-procedure.js'
import type { Realm } from '../realm.js'
import type { Callee } from '../registration.js'
import { optionalDict } from '../meta/arguments.js'
import { calleeControl, targetCallees } from './callee-state.js'

type Then = DrainResult['then']

/**
 * `wampctl.callee.drain(session, registration?, {timeout_ms, then})`: take callees out of
 * rotation, wait for their calls in flight to finish (reporting progress), then unregister,
 * kill or keep them cordoned. Never drops a call: on timeout the callees stay cordoned and the
 * caller gets `wampctl.error.drain_timeout` with what is left.
 */
export function drain(realm: Realm, call: MetaCall): Promise<MetaResult> {
  const callees = targetCallees(realm, call.args[0], call.args[1])
  const opts = { ...optionalDict(call.args, 2, 'options'), ...call.kwargs }
  const timeoutMs = opts.timeout_ms ?? 30_000
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new InvalidArgumentError('timeout_ms must be a number of milliseconds')
  const then = (opts.then ?? 'none') as Then
  if (then !== 'unregister' && then !== 'kill' && then !== 'none')
    throw new InvalidArgumentError(`then must be unregister, kill or none, not ${JSON.stringify(opts.then)}`)
  const running = drainCallees(realm, callees, { timeoutMs, then }, (p) => call.progress([p]))
  // The caller went away: stop reporting; what is draining stays out of rotation (cordoned).
  call.onCancel(() => running.abandon())
  return running.done.then((res) => {
    if (res.drained) return { args: [res] }
    throw new RouterError(
      'WAMPCTL_ERR_DRAIN_TIMEOUT',
      ErrorUri.drainTimeout,
      `${res.inflight} call(s) still in flight after ${timeoutMs} ms; the callee stays cordoned`,
      res as unknown as Record<string, unknown>,
    )
  })
}

/** A drain in progress: `done` settles with its result (drained false on timeout); `abandon` stops it, leaving the callees cordoned. */
export interface RunningDrain {
  done: Promise<DrainResult>
  abandon(): void
}

/**
 * Drain `callees` (all of one session): out of rotation at once, wait for their calls in flight
 * to finish (reporting each change of the count), then unregister, kill or keep them cordoned.
 * Never drops a call: on timeout the callees stay cordoned. Used by the drain procedure and by
 * rollouts running in the router.
 */
export function drainCallees(
  realm: Realm,
  callees: Callee[],
  options: { timeoutMs: number; then: Then },
  onProgress: (p: DrainProgress) => void = () => {},
): RunningDrain {
  // A callee of another cluster node drains there: only its node sees all of its calls in flight.
  const ops = realm.cluster?.ops
  if (ops !== undefined && !ops.isLocal(callees[0]!)) return ops.drainRemote(callees, options, onProgress)
  const { timeoutMs, then } = options
  const control = calleeControl(realm)
  const session = callees[0]!.session
  const registrations = callees.map((c) => c.registration.id)
  const started = performance.now()
  for (const c of callees) control.setCalleeState(c, 'draining', 'drain')
  const inflight = (): number => callees.reduce((n, c) => n + c.inflight, 0)
  let abandon = (): void => {}

  const done = new Promise<DrainResult>((resolve, reject) => {
    const unwatch: Array<() => void> = []
    let last = -1
    let settled = false
    const report = (): void => {
      const n = inflight()
      if (n !== last) {
        last = n
        onProgress({ session: session.id, inflight: n, registrations })
      }
      if (n === 0) complete(true)
    }
    const complete = (drained: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      for (const u of unwatch) u()
      const live = callees.filter((c) => c.registration.callees.includes(c))
      const finish = (outcome: string): void =>
        resolve({
          session: session.id,
          registrations,
          drained,
          inflight: inflight(),
          then,
          outcome,
          elapsed_ms: Math.round(performance.now() - started),
        })
      if (!drained) {
        for (const c of live) control.setCalleeState(c, 'cordoned', 'drain_timeout')
        finish('skipped')
        return
      }
      const outcome = afterDrain(realm, live, then)
      if (typeof outcome === 'string') finish(outcome)
      else outcome.then(finish, (err: unknown) => reject(err))
    }
    const timer = setTimeout(() => complete(false), timeoutMs)
    for (const c of callees) unwatch.push(realm.dealer.watchInflight(c, report))
    abandon = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      for (const u of unwatch) u()
      for (const c of callees) if (c.state === 'draining') control.setCalleeState(c, 'cordoned', 'drain_abandoned')
    }
    report()
  })
  return { done, abandon: () => abandon() }
}

/** What was done after draining; a promise on a cluster node, where unregistering is a registry write. */
function afterDrain(realm: Realm, callees: Callee[], then: Then): string | Promise<string> {
  const control = calleeControl(realm)
  if (then === 'unregister') {
    const cluster = realm.cluster
    // A cluster node revokes its callee here and removes it from the registry (every node's replica drops it).
    if (cluster !== undefined) return cluster.ops.unregister(callees, CalleeRemovalUri.drained).then(() => 'unregistered')
    for (const c of callees) realm.dealer.removeCallee(c, CalleeRemovalUri.drained)
    return 'unregistered'
  }
  if (then === 'kill') {
    const session = callees[0]?.session
    if (session !== undefined && !session.closed) {
      realm.leave(session)
      session.transport.goodbye(CloseUri.killed, 'drained by wampctl')
    }
    return 'killed'
  }
  for (const c of callees) control.setCalleeState(c, 'cordoned', 'drained')
  return 'none'
}
