import type { MetaClient } from '../../client/meta-client.js'
import { CallError, NotFoundError } from '../../client/errors.js'
import type { CalleeRef, EventSink } from './events.js'
import type { RunControl } from './run-control.js'

export interface RetireOutcome extends CalleeRef {
  /** unregistered; gone (it had left already); timeout (calls still in flight: it stays cordoned). */
  outcome: 'unregistered' | 'gone' | 'timeout'
  /** Calls still in flight when the drain gave up (0 otherwise). */
  inflight: number
}

/**
 * Drain one callee off one registration and unregister it: out of rotation at once, its calls in
 * flight finish, then the router revokes its registration. No call is dropped: on timeout the
 * callee stays cordoned with its calls still running.
 */
export async function retireCallee(
  meta: MetaClient,
  control: RunControl,
  registration: number,
  callee: CalleeRef,
  timeoutMs: number,
  emit: EventSink,
  position: { index: number; of: number },
): Promise<RetireOutcome> {
  emit({ event: 'retire', callee, index: position.index, of: position.of })
  try {
    const r = await control.act(() =>
      meta.drain(callee.session, registration, { timeout_ms: timeoutMs, then: 'unregister' }, (p) =>
        emit({ event: 'drain-progress', session: p.session, inflight: p.inflight }),
      ),
    )
    emit({ event: 'retired', callee, outcome: r.outcome, elapsed_ms: r.elapsed_ms, drained: r.drained })
    return { ...callee, outcome: 'unregistered', inflight: 0 }
  } catch (err) {
    if (err instanceof CallError && err.uri === 'wampctl.error.drain_timeout') {
      const inflight = typeof err.kwargs.inflight === 'number' ? err.kwargs.inflight : -1
      const elapsed = typeof err.kwargs.elapsed_ms === 'number' ? err.kwargs.elapsed_ms : timeoutMs
      emit({ event: 'retired', callee, outcome: 'timeout', elapsed_ms: elapsed, drained: false })
      return { ...callee, outcome: 'timeout', inflight }
    }
    if (err instanceof NotFoundError) {
      emit({ event: 'retired', callee, outcome: 'gone', elapsed_ms: 0, drained: true })
      return { ...callee, outcome: 'gone', inflight: 0 }
    }
    throw err
  }
}
