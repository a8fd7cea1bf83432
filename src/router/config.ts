import { readFileSync } from 'node:fs'
import type { AdminOptions } from './admin/admin-server.js'
import type { AuthThrottleOptions } from './auth-throttle.js'
import type { AuthConfig } from './authenticator.js'
import type { RoleConfig } from './authorizer.js'
import type { LivenessSettings } from './liveness.js'
import { DEFAULT_CALL_QUEUE, type CallQueueLimits } from './call-queue.js'
import { validateConfig } from './config-validation.js'
import { RouterConfigError } from './errors.js'
import type { TlsOptions } from './tls.js'
import type { ClusterOptions } from './cluster/options.js'

export interface RealmConfig {
  name: string
  /** Roles and their URI permissions; default: "anonymous" may do anything but the mutating meta procedures. */
  roles?: Record<string, RoleConfig>
  auth?: AuthConfig
  /** Overrides RouterOptions.liveness for the sessions of this realm. */
  liveness?: Partial<LivenessSettings>
  /** Overrides RouterOptions.invocationDeadlineMs for this realm's registrations. */
  invocationDeadlineMs?: number
  /** Overrides RouterOptions.callQueue for this realm, field by field. */
  callQueue?: Partial<CallQueueLimits>
}

/** Fields of a structured log line (session, realm, peer, reason…). */
export type LogFields = Record<string, unknown>

/**
 * Where the router logs: one line per session open/close and per failure, with structured
 * fields. `wampctl router start` passes a pino logger (src/router/log/); the library default is silent.
 */
export interface Logger {
  debug?(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

export interface RouterOptions {
  /** Realms served; names alone get the default roles and anonymous access. Default ["realm1"]. */
  realms?: Array<string | RealmConfig>
  /** WebSocket path. Default "/ws". */
  path?: string
  /**
   * RawSocket listeners, each "HOST:PORT" (TCP; port 0 picks a free one) or "unix:/PATH". Default
   * none. They listen next to the WebSocket listener and serve the same realms.
   */
  rawsocket?: string[]
  /** TLS (PEM files) for the WebSocket listener (wss) and TCP RawSocket listeners (rss). Default none. */
  tls?: TlsOptions
  /** Largest message accepted, in bytes. Default 16 MiB. */
  maxMessageSize?: number
  /** Largest frame before the session is established (HELLO, AUTHENTICATE), bytes. Default 64 KiB (never above maxMessageSize). */
  maxHandshakeMessageSize?: number
  /** Deepest nesting of lists and dicts in a message (the message list is level 1). Default 64. */
  maxNestingDepth?: number
  /** Values (list items and dict entries, at any depth) in one message. Default 1,000,000. */
  maxMessageElements?: number
  /** Dict entries (at any depth) in one message. Default 50,000. */
  maxMessageMapEntries?: number
  /** Lockout after repeated authentication failures per authid and per peer address. Default 5 failures in 60 s → refused for 60 s. */
  authThrottle?: AuthThrottleOptions
  /** Drop a peer whose unsent data exceeds this many bytes. Default 64 MiB. */
  maxBufferedBytes?: number
  /**
   * Overload: a subscriber whose unsent data exceeds this many bytes loses EVENTs (counted per
   * connection and in the router's counters, logged once per episode) until it catches up; while a
   * subscriber is past a quarter of it, the publisher whose event it was is not read (TCP pushback).
   * Default 64 KiB.
   */
  maxEventQueueBytes?: number
  /** Check URIs with the spec's strict rules (lower-case letters, digits, "_"). Default false (loose). */
  strictUris?: boolean
  /** Serve the wampctl.* operations extensions. Default true; false behaves like a standard router. */
  extensions?: boolean
  /**
   * Keep per-callee call statistics on the hot path. Default true; false exists only so the bench
   * can measure what they cost, and requires `extensions: false` (the extensions read them).
   */
  callStats?: boolean
  /**
   * Ping every peer every `pingIntervalMs`; drop one that sends nothing within `pongTimeoutMs` after
   * a ping, like a lost session. Default 15000 / 15000 (a frozen peer is gone within 30 s);
   * pingIntervalMs 0 turns it off. Realms may override it.
   */
  liveness?: Partial<LivenessSettings>
  /** Close a connection that has not completed HELLO (and CHALLENGE/AUTHENTICATE) within this many ms. Default 10000. */
  handshakeTimeoutMs?: number
  /**
   * Give up on an invocation the callee has not answered within this many ms: the caller gets
   * wamp.error.timeout, the callee INTERRUPT. Default 0 (no deadline). Realms and REGISTER
   * `_deadline_ms` override it.
   */
  invocationDeadlineMs?: number
  /**
   * Each registration's queue of calls waiting for a callee under its concurrency cap (REGISTER
   * option `concurrency`): `size` calls at most (0 = never wait), each for `maxWaitMs` at most.
   * Defaults: 1000 calls, 30000 ms. Realms may override it (docs/routing.md).
   */
  callQueue?: Partial<CallQueueLimits>
  /** Interval of wampctl.stats.on_tick, ms. Default 1000. */
  statsIntervalMs?: number
  /**
   * The admin HTTP listener (/metrics, /healthz, /readyz). Off unless set; listen() starts it
   * before the WAMP listener. See src/router/admin/admin-server.ts for its fields and defaults.
   */
  admin?: AdminOptions
  /** How long a graceful shutdown (Router.shutdown, SIGTERM) lets calls in flight finish, ms. Default 10000. */
  shutdownGraceMs?: number
  /** Join other router nodes through NATS with JetStream: one realm across many processes (docs/cluster.md). Default none. */
  cluster?: ClusterOptions
  logger?: Logger
}

/** The configuration file of `wampctl router start --config FILE` (JSON). */
export interface RouterConfigFile extends RouterOptions {
  host?: string
  port?: number
}

export const DEFAULT_ROLES: Record<string, RoleConfig> = {
  anonymous: { permissions: [{ uri: '', match: 'prefix', allow: ['call', 'register', 'publish', 'subscribe'] }] },
  admin: { admin: true },
}

export interface NormalizedRealm {
  name: string
  roles: Record<string, RoleConfig>
  auth: AuthConfig
  liveness?: Partial<LivenessSettings>
  invocationDeadlineMs?: number
  callQueue?: Partial<CallQueueLimits>
}

export function normalizeRealm(r: string | RealmConfig): NormalizedRealm {
  const cfg: RealmConfig = typeof r === 'string' ? { name: r } : r
  if (typeof cfg.name !== 'string' || cfg.name.length === 0) throw new RouterConfigError('every realm needs a non-empty name')
  return {
    name: cfg.name,
    roles: cfg.roles ?? DEFAULT_ROLES,
    auth: cfg.auth ?? {},
    liveness: cfg.liveness,
    invocationDeadlineMs: cfg.invocationDeadlineMs,
    callQueue: cfg.callQueue,
  }
}

/**
 * A realm's call-queue limits: the realm's fields over the router's over the defaults (1000
 * calls, 30000 ms), each checked.
 */
export function callQueueLimits(
  router: Partial<CallQueueLimits> | undefined,
  realm: Partial<CallQueueLimits> | undefined,
  what: string,
): CallQueueLimits {
  const q = { ...DEFAULT_CALL_QUEUE, ...definedFields(router), ...definedFields(realm) }
  if (!Number.isInteger(q.size) || q.size < 0) throw new RouterConfigError(`${what}.size must be a whole number of calls (0 = never wait)`)
  if (!Number.isInteger(q.maxWaitMs) || q.maxWaitMs < 1 || q.maxWaitMs > 2 ** 31 - 1)
    throw new RouterConfigError(`${what}.maxWaitMs must be a whole number of milliseconds from 1 to ${2 ** 31 - 1}`)
  return q
}

function definedFields<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}

export function loadConfigFile(path: string): RouterConfigFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new RouterConfigError(`cannot read config file ${path}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text) as unknown
  } catch (err) {
    throw new RouterConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  validateConfig(parsed)
  return parsed as RouterConfigFile
}
