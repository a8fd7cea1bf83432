import { Kvm } from '@nats-io/kv'
import type { Logger } from '../config.js'
import { ADMIN_KEY, clusterBucket } from './keys.js'
import { ClusterLink, openBucket } from './link.js'
import { clusterSettings, type ClusterOptions } from './options.js'

/**
 * The admin credential's secret of the whole cluster, so that a CLI context written by any node's
 * `router start` works against every node. The first node to start stores `proposed` (a KV
 * create: exactly one wins); every other node reads the winner's. Kept in the cluster's own bucket
 * (`<name>_cluster`, key `admin`), readable by whoever may use the cluster's NATS account.
 */
export async function clusterAdminSecret(options: ClusterOptions, proposed: string, log: Logger): Promise<string> {
  const settings = clusterSettings(options)
  const link = await ClusterLink.connect(settings, log)
  try {
    const kv = await openBucket(new Kvm(link.nc), clusterBucket(settings.name), settings.replicas)
    try {
      await kv.create(ADMIN_KEY, new TextEncoder().encode(proposed))
      return proposed
    } catch (err) {
      // Another node was first (or is): its secret is the cluster's.
      const entry = await kv.get(ADMIN_KEY)
      if (entry === null || entry.operation !== 'PUT' || entry.value.length === 0) throw err
      return entry.string()
    }
  } finally {
    await link.close()
  }
}
