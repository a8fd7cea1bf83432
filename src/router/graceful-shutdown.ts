import type { Logger } from './config.js'
import type { Realm } from './realm.js'

/** How often a graceful shutdown looks whether the calls in flight are done. */
const POLL_MS = 20

/**
 * The waiting part of a graceful shutdown: cordon every realm's callees at once (new CALLs get
 * wamp.error.no_available_callee, "the router is shutting down"; calls already queued for a busy
 * callee still run), then wait until no caller waits for an answer, `graceMs` passes, or endNow()
 * is called (a second signal). It polls a count kept anyway (session.calls) rather than hooking the
 * hot path: a shutdown happens once, a call millions of times.
 */
export function drainCalls(
  realms: readonly Realm[],
  options: { graceMs: number; logger: Logger },
): { outcome: Promise<{ left: number; elapsedMs: number }>; endNow: () => void } {
  const started = performance.now()
  for (const realm of realms) realm.acceptingCalls = false
  const inflight = (): number => {
    let n = 0
    for (const realm of realms) for (const s of realm.sessions.values()) n += s.calls.size + s.queued.size
    return n
  }
  options.logger.info('shutting down: no new sessions or calls; waiting for calls in flight', {
    inflight: inflight(),
    grace_ms: options.graceMs,
  })
  // The outcome is read and logged the moment the wait ends: close() goes on to end every session right after.
  let endNow = (): void => {}
  const outcome = new Promise<{ left: number; elapsedMs: number }>((resolve) => {
    let settled = false
    const done = (): void => {
      if (settled) return
      settled = true
      clearInterval(poll)
      clearTimeout(grace)
      const left = inflight()
      const elapsedMs = Math.round(performance.now() - started)
      if (left === 0) options.logger.info('calls in flight finished', { elapsed_ms: elapsedMs })
      else options.logger.warn('stopping with calls in flight', { left, elapsed_ms: elapsedMs })
      resolve({ left, elapsedMs })
    }
    const poll = setInterval(() => inflight() === 0 && done(), POLL_MS)
    const grace = setTimeout(done, options.graceMs)
    endNow = done
    if (inflight() === 0) done()
  })
  return { outcome, endNow }
}
