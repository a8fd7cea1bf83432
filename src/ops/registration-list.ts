import type { MetaClient } from '../client/meta-client.js'
import type { SnapshotView } from '../client/views.js'
import { pause } from './pause.js'
import { hasRecent, summarizeSnapshot, type ListFilter, type RegistrationSummary } from './registration-summary.js'

export interface ListResult {
  rows: RegistrationSummary[]
  /** false: the router has no wampctl extensions, statistics are unknown (null). */
  extensions: boolean
}

/** The router keeps each callee's recent counts itself: one snapshot says everything. */
function keepsRecent(snapshot: SnapshotView): boolean {
  return snapshot.registrations.every(hasRecent)
}

/**
 * The registrations with their statistics, from one snapshot: the router keeps the recent
 * window itself. A router that does not (an older wampctl router) is sampled twice, `sampleMs`
 * apart (0: once, calls/s unknown); without the extensions there is nothing to sample.
 */
export async function listRegistrations(meta: MetaClient, filter: ListFilter, sampleMs: number, signal?: AbortSignal): Promise<ListResult> {
  const first = await meta.snapshot()
  if (!first.extensions || sampleMs <= 0 || keepsRecent(first))
    return { rows: summarizeSnapshot(first, filter), extensions: first.extensions }
  const started = Date.now()
  await pause(sampleMs, signal ?? new AbortController().signal)
  const second = await meta.snapshot()
  return { rows: summarizeSnapshot(second, filter, { snapshot: first, elapsedMs: Date.now() - started }), extensions: true }
}

/**
 * `--watch`: a new list every `intervalMs` (calls/s over the recent window, or over the interval
 * just past where the router does not keep one); stops after
 * `count` lists (when given) or when `signal` aborts.
 */
export async function* watchRegistrations(
  meta: MetaClient,
  filter: ListFilter,
  intervalMs: number,
  signal: AbortSignal,
  count?: number,
): AsyncGenerator<ListResult> {
  let prev: { snapshot: SnapshotView; taken: number } = { snapshot: await meta.snapshot(), taken: Date.now() }
  for (let n = 0; count === undefined || n < count; n++) {
    if (!(await pause(intervalMs, signal))) return
    const snapshot = await meta.snapshot()
    const taken = Date.now()
    if (signal.aborted) return
    yield {
      rows: keepsRecent(snapshot)
        ? summarizeSnapshot(snapshot, filter)
        : summarizeSnapshot(snapshot, filter, { snapshot: prev.snapshot, elapsedMs: taken - prev.taken }),
      extensions: snapshot.extensions,
    }
    prev = { snapshot, taken }
  }
}
