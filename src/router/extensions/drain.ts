import { CalleeRemovalUri, CloseUri, ErrorUri } from '../../protocol/error-uris.js'
import type { DrainProgress, DrainResult } from '../../protocol/extensions.js'
import { InvalidArgumentError, RouterError } from '../errors.js'
import type { MetaCall, MetaResult } from '../meta-procedure.js'
import type { Realm } from '../realm.js'
import type { Callee } from '../registration.js'
import { optionalDict } from '../meta/arguments.js'
import { targetCallees, type CalleeControl } from './callee-state.js'

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
  const { timeoutMs, then } = options
  const control: CalleeControl = realm.dealer
  const session = callees[0]!.session
  const registrations = callees.map((c) => c.registration.id)
  const started = performance.now()
  for (const c of callees) control.setCalleeState(c, 'draining', 'drain')
  const inflight = (): number => callees.reduce((n, c) => n + c.inflight, 0)
  let abandon = (): void => {}

  const done = new Promise<DrainResult>((resolve) => {
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
      let outcome = 'skipped'
      if (drained) {
        outcome = afterDrain(realm, live, then)
      } else {
        for (const c of live) control.setCalleeState(c, 'cordoned', 'drain_timeout')
      }
      resolve({
        session: session.id,
        registrations,
        drained,
        inflight: inflight(),
        then,
        outcome,
        elapsed_ms: Math.round(performance.now() - started),
      })
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

function afterDrain(realm: Realm, callees: Callee[], then: Then): string {
  const control: CalleeControl = realm.dealer
  if (then === 'unregister') {
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
