import type { MetaClient } from '../client/meta-client.js'
import { UnsupportedError } from '../client/errors.js'

/**
 * cordon, uncordon and drain need the wampctl operations extensions. Without them (Crossbar,
 * Nexus, Bondy, ours with extensions off) say so plainly, and point at what still works: evict.
 */
export async function requireOperations(meta: MetaClient, verb: 'cordon' | 'uncordon' | 'drain'): Promise<void> {
  const caps = await meta.capabilitiesOf()
  if (caps.extensions) return
  throw new UnsupportedError(
    `the router at ${meta.client.url} cannot ${verb} callees: it does not serve the wampctl operations extensions (standard WAMP meta API only); use 'wampctl evict' to remove a callee instead`,
  )
}
