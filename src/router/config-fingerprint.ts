import { createHash } from 'node:crypto'
import type { NormalizedRealm } from './config.js'

/**
 * A short hash of the configuration every node of a cluster must share: the realms, their roles
 * and their auth (principals, secrets and authorization), as the router runs them. The nodes
 * publish it in their heartbeats so that a node started with another config file is seen
 * (`wampctl cluster status`, a warning in the log). Key order does not matter; list order does.
 * 12 hex digits of SHA-256, enough to tell configurations apart. It hashes secrets too: whoever
 * reads the heartbeats (the cluster's NATS account, which holds the admin secret anyway) or
 * `cluster status` could test guesses of a weak one against it.
 */
export function configFingerprint(realms: Array<Pick<NormalizedRealm, 'name' | 'roles' | 'auth'>>): string {
  const shared = [...realms]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((r) => ({ name: r.name, roles: r.roles, auth: r.auth }))
  return createHash('sha256').update(canonicalJson(shared)).digest('hex').slice(0, 12)
}

/** JSON with every object's keys sorted; functions and undefined left out as JSON.stringify does. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined || typeof x === 'function' ? 'null' : canonicalJson(x))).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const entries = Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined && typeof (v as Record<string, unknown>)[k] !== 'function')
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}
