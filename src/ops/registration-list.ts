import type { MetaClient } from '../client/meta-client.js'
import type { SnapshotView } from '../client/views.js'
import { pause } from './pause.js'
import { summarizeSnapshot, type ListFilter, type RegistrationSummary } from './registration-summary.js'

export interface ListResult {
  rows: RegistrationSummary[]
  /** false: the router has no wampctl extensions, statistics are unknown (null). */
  extensions: boolean
}

/**
 * The registrations with their statistics; calls/s from two snapshots `sampleMs` apart (0: one
 * snapshot, calls/s unknown). Without the extensions there is nothing to sample.
 */
export async function listRegistrations(meta: MetaClient, filter: ListFilter, sampleMs: number, signal?: AbortSignal): Promise<ListResult> {
  const first = await meta.snapshot()
  if (!first.extensions || sampleMs <= 0) return { rows: summarizeSnapshot(first, filter), extensions: first.extensions }
  const started = Date.now()
  await pause(sampleMs, signal ?? new AbortController().signal)
  const second = await meta.snapshot()
  return { rows: summarizeSnapshot(second, filter, { snapshot: first, elapsedMs: Date.now() - started }), extensions: true }
}

/**
 * `--watch`: a new list every `intervalMs`, calls/s over the interval just past; stops after
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
      rows: summarizeSnapshot(snapshot, filter, { snapshot: prev.snapshot, elapsedMs: taken - prev.taken }),
      extensions: snapshot.extensions,
    }
    prev = { snapshot, taken }
  }
}
