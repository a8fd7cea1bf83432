import { RouterConfigError } from '../errors.js'

/** RouterOptions.cluster: join other router nodes through NATS with JetStream (docs/cluster.md). */
export interface ClusterOptions {
  /** NATS server URL(s), e.g. "nats://127.0.0.1:4222". */
  servers: string | string[]
  /** This node's name, unique in the cluster: letters, digits, "-" and "_". */
  node: string
  /** Cluster name: prefixes every NATS subject and bucket, so several clusters can share a NATS. Default "wampctl". */
  name?: string
  /** NATS credentials: user and password, or a token, or an nkey seed ("SU…"). Default none. */
  user?: string
  pass?: string
  token?: string
  nkeySeed?: string
  /** How often this node says it is alive, ms. Default 1000, or a fifth of nodeTimeoutMs when that is shorter. */
  heartbeatMs?: number
  /** A node silent this long is dead: its sessions, registrations and subscriptions are removed, ms. Default 5000. */
  nodeTimeoutMs?: number
}

/** ClusterOptions with the defaults filled in. */
export interface ClusterSettings {
  servers: string[]
  node: string
  name: string
  user?: string
  pass?: string
  token?: string
  nkeySeed?: string
  heartbeatMs: number
  nodeTimeoutMs: number
}

export const DEFAULT_CLUSTER_NAME = 'wampctl'
export const DEFAULT_HEARTBEAT_MS = 1000
export const DEFAULT_NODE_TIMEOUT_MS = 5000

/** Node and cluster names become NATS subject tokens and KV bucket names: keep them to what both allow. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/

export function clusterSettings(o: ClusterOptions): ClusterSettings {
  const servers = typeof o.servers === 'string' ? o.servers.split(',').map((s) => s.trim()) : o.servers
  if (servers.length === 0 || servers.some((s) => typeof s !== 'string' || s.length === 0))
    throw new RouterConfigError('cluster.servers needs at least one NATS URL (nats://host:port)')
  if (typeof o.node !== 'string' || !NAME.test(o.node))
    throw new RouterConfigError(`cluster.node must be 1 to 64 letters, digits, "-" or "_" (got ${JSON.stringify(o.node)})`)
  const name = o.name ?? DEFAULT_CLUSTER_NAME
  if (!NAME.test(name))
    throw new RouterConfigError(`cluster.name must be 1 to 64 letters, digits, "-" or "_" (got ${JSON.stringify(name)})`)
  const nodeTimeoutMs = positive(o.nodeTimeoutMs, DEFAULT_NODE_TIMEOUT_MS, 'cluster.nodeTimeoutMs')
  // A short node timeout gets heartbeats often enough that one or two late ones do not kill a node.
  const heartbeatMs = positive(o.heartbeatMs, Math.min(DEFAULT_HEARTBEAT_MS, nodeTimeoutMs / 5), 'cluster.heartbeatMs')
  if (nodeTimeoutMs < 2 * heartbeatMs) throw new RouterConfigError('cluster.nodeTimeoutMs must be at least twice cluster.heartbeatMs')
  if ((o.user === undefined) !== (o.pass === undefined)) throw new RouterConfigError('cluster.user and cluster.pass go together')
  return { servers, node: o.node, name, user: o.user, pass: o.pass, token: o.token, nkeySeed: o.nkeySeed, heartbeatMs, nodeTimeoutMs }
}

function positive(v: number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new RouterConfigError(`${what} must be a positive number of ms`)
  return v
}
