import { RouterConfigError } from '../errors.js'

/** RouterOptions.cluster: join other router nodes through NATS with JetStream (docs/cluster.md). */
export interface ClusterOptions {
  /** NATS server URL(s), e.g. "nats://127.0.0.1:4222", or several servers of one NATS cluster. `tls://` requires TLS. */
  servers: string | string[]
  /** This node's name, unique in the cluster: letters, digits, "-" and "_". */
  node: string
  /** Cluster name: prefixes every NATS subject and bucket, so several clusters can share a NATS. Default "wampctl". */
  name?: string
  /**
   * NATS credentials, one kind at most: user and password, a token, an nkey seed ("SU…", inline or
   * `nkeyFile`, a file holding it), or a `.creds` file (a user JWT and its seed). Default none.
   */
  user?: string
  pass?: string
  token?: string
  nkeySeed?: string
  nkeyFile?: string
  credsFile?: string
  /** CA bundle (PEM file) that signed the NATS servers' certificates: TLS to NATS, verified against it. Default none (plain, or TLS verified against the system's CAs when the server requires it). */
  ca?: string
  /** Replicas of the KV buckets the cluster creates (1 to 5): 3 on a NATS cluster of 3, so the buckets outlive a NATS server. Default 1. */
  replicas?: number
  /** How often this node says it is alive, ms. Default 1000, or a fifth of nodeTimeoutMs when that is shorter; at most a third of nodeTimeoutMs. */
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
  nkeyFile?: string
  credsFile?: string
  ca?: string
  replicas: number
  heartbeatMs: number
  nodeTimeoutMs: number
}

export const DEFAULT_CLUSTER_NAME = 'wampctl'
export const DEFAULT_HEARTBEAT_MS = 1000
export const DEFAULT_NODE_TIMEOUT_MS = 5000
export const DEFAULT_REPLICAS = 1
/** JetStream's own limit on a stream's replicas. */
export const MAX_REPLICAS = 5
/**
 * A node silent for this many node timeouts is forgotten: it leaves `cluster status` (it stays
 * listed as dead until then, so an operator sees what went).
 */
export const FORGET_DEAD_AFTER_TIMEOUTS = 10

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
  if (nodeTimeoutMs < 3 * heartbeatMs)
    throw new RouterConfigError(
      `cluster.heartbeatMs (${heartbeatMs}) must be at most a third of cluster.nodeTimeoutMs (${nodeTimeoutMs}): two late heartbeats must not make a node dead`,
    )
  if ((o.user === undefined) !== (o.pass === undefined)) throw new RouterConfigError('cluster.user and cluster.pass go together')
  const credentials = [
    o.user !== undefined,
    o.token !== undefined,
    o.nkeySeed !== undefined,
    o.nkeyFile !== undefined,
    o.credsFile !== undefined,
  ]
  if (credentials.filter(Boolean).length > 1)
    throw new RouterConfigError(
      'give NATS one kind of credentials: cluster.user/pass, cluster.token, cluster.nkeySeed, cluster.nkeyFile or cluster.credsFile',
    )
  const replicas = o.replicas ?? DEFAULT_REPLICAS
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS)
    throw new RouterConfigError(`cluster.replicas must be a whole number from 1 to ${MAX_REPLICAS} (got ${JSON.stringify(o.replicas)})`)
  return {
    servers,
    node: o.node,
    name,
    user: o.user,
    pass: o.pass,
    token: o.token,
    nkeySeed: o.nkeySeed,
    nkeyFile: o.nkeyFile,
    credsFile: o.credsFile,
    ca: o.ca,
    replicas,
    heartbeatMs,
    nodeTimeoutMs,
  }
}

function positive(v: number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new RouterConfigError(`${what} must be a positive number of ms`)
  return v
}
