import type { MatchPolicy } from '../uri.js'

/**
 * Names that carry user text (realms, URIs) on NATS. KV keys allow only `[-/_=.a-zA-Z0-9]` and
 * subject tokens no `.`, `*`, `>` or white space, while WAMP URIs and realm names may hold other
 * characters: such text is base64url-encoded (no padding) into one token.
 */
export function token(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

export function fromToken(t: string): string {
  return Buffer.from(t, 'base64url').toString('utf8')
}

export const KeyPrefix = { registration: 'reg', subscription: 'sub', session: 'ses', rollout: 'rol', mark: 'mark' } as const

export function registrationKey(uri: string, match: MatchPolicy): string {
  return `${KeyPrefix.registration}.${match}.${token(uri)}`
}

export function subscriptionKey(uri: string, match: MatchPolicy): string {
  return `${KeyPrefix.subscription}.${match}.${token(uri)}`
}

/** One key per URI: one rollout of a URI runs at a time, cluster-wide (compare-and-set on this key). */
export function rolloutKey(uri: string): string {
  return `${KeyPrefix.rollout}.${token(uri)}`
}

export function sessionKey(id: number): string {
  return `${KeyPrefix.session}.${id}`
}

/** A replica's "caught up" marker: written after its watch starts, seen once everything before it was applied. */
export function markKey(node: string): string {
  return `${KeyPrefix.mark}.${node}`
}

/** The KV bucket of what the cluster shares beyond realms (the admin credential). */
export function clusterBucket(cluster: string): string {
  return `${cluster}_cluster`
}

/** Key of the admin credential's secret in the cluster bucket (cluster/admin-secret.ts). */
export const ADMIN_KEY = 'admin'

/** The KV bucket holding one realm's cluster state. */
export function realmBucket(cluster: string, realm: string): string {
  return `${cluster}_realm_${token(realm)}`
}
