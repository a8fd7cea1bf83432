import type { Bucket, KV } from '@nats-io/kv'
import type { Logger } from '../config.js'
import type { ClusterLink } from './link.js'

/** How often a node sweeps its realm buckets' delete markers, and how old a marker must be to go. */
export const SWEEP_INTERVAL_MS = 10 * 60_000
export const MARKER_AGE_MS = 30 * 60_000

/**
 * Every key deleted (each session that ever left, each registration gone) leaves a delete marker
 * in the bucket's stream, so the bucket, and the replay each node reads when it starts, would grow
 * with churn for ever. Markers older than `ageMs` are purged: every replica applied them long ago,
 * and a node that starts later needs no record of a key that is gone. Idempotent, so every node may
 * sweep; a sweep that fails (NATS away) is logged and the next one tries again.
 */
export async function purgeDeleteMarkers(kv: KV, ageMs = MARKER_AGE_MS): Promise<void> {
  // The KV interface does not list it; the buckets kvm.create/open return (Bucket) have it.
  await (kv as Bucket).purgeDeletes(ageMs)
}

/** Sweep every SWEEP_INTERVAL_MS while connected; returns the stop function. */
export function sweepDeleteMarkers(kv: KV, link: ClusterLink, log: Logger, realm: string): () => void {
  const timer = setInterval(() => {
    if (!link.connected) return
    purgeDeleteMarkers(kv).catch((err: unknown) =>
      log.warn('cluster: could not purge old delete markers; will try again', { realm, reason: (err as Error).message }),
    )
  }, SWEEP_INTERVAL_MS)
  timer.unref()
  return () => clearInterval(timer)
}
