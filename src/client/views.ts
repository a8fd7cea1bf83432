import type { CalleeState, RecentCounts } from '../protocol/extensions.js'
import { takesCalls } from '../protocol/takes-calls.js'

/**
 * What the CLI and dashboards show, the same whether the router has the wampctl extensions
 * (every field filled) or only the standard meta API (statistics null: unknown).
 */
export interface CalleeView {
  session: number
  /** The cluster node its session lives on; absent on a single router. */
  node?: string
  authid: string | null
  authrole: string | null
  /** 'unknown' on a router without the extensions. */
  state: CalleeState | 'unknown'
  weight: number | null
  calls: number | null
  errors: number | null
  inflight: number | null
  p50_ms: number | null
  p99_ms: number | null
  last_call_at: string | null
  /** Counts over the router's recent window; absent or null when the router does not keep them. */
  recent?: RecentCounts | null
}

export interface RegistrationView {
  id: number
  uri: string
  match: string
  invoke: string
  created: string | null
  /** Calls waiting for a callee under its concurrency cap; null or absent when the router does not say. */
  queued?: number | null
  callees: CalleeView[]
  /** Cluster nodes that did not send their callees' statistics in time (those are null); absent when none. */
  missing_nodes?: string[]
}

export interface SnapshotView {
  at: string
  realm: string
  /** The router serves the wampctl.* extensions (statistics, cordon, drain, weights). */
  extensions: boolean
  registrations: RegistrationView[]
  /** Cluster nodes that did not send their callees' statistics in time (those are null); absent when none. */
  missing_nodes?: string[]
}

export interface SessionView {
  session: number
  authid: string | null
  authrole: string | null
  authmethod: string | null
  authprovider: string | null
  transport: Record<string, unknown> | null
  /** The cluster node it is connected to; absent on a single router. */
  node?: string
}

/**
 * Whether a callee as the CLI sees it takes new calls (takesCalls). On a router without the
 * extensions (state 'unknown', weight null) every callee does: a standard router routes to all.
 */
export function viewTakesCalls(c: { state: CalleeState | 'unknown'; weight: number | null }): boolean {
  return c.state === 'unknown' || takesCalls({ state: c.state, weight: c.weight ?? 1 })
}
