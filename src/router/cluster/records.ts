import type { CalleeState } from '../../protocol/extensions.js'
import type { RolloutRecord } from '../../protocol/rollout.js'
import type { Dict } from '../inbound.js'
import type { InvokePolicy } from '../registration.js'
import type { MatchPolicy } from '../uri.js'

/** The values of a realm's KV bucket (docs/cluster.md, "Records"). */

/** One callee of a registration, wherever its session lives. */
export interface CalleeRecord {
  node: string
  session: number
  authid: string
  authrole: string
  state: CalleeState
  weight: number
  /** REGISTER option `concurrency`; null = no cap. */
  concurrency: number | null
  /**
   * Its `_deadline_ms` (or the realm's invocation deadline) when it has one. The callee's node
   * enforces it; a calling node arms it too, so that its caller is answered at the deadline even
   * when the callee's node cannot be heard (frozen, cut off) and would otherwise be waited for
   * until it is declared dead.
   */
  deadlineMs?: number
  /** The life of `node` that registered it (ClusterLink.incarnation): a restarted node's cleanup spares its new life. */
  incarnation?: string
  /** Why `state` or `weight` last changed (cordon, drain, set_weight…), for wampctl.callee.on_state on every node. */
  cause?: string
}

/** `reg.<match>.<uri>`: a registration and its callees in cluster-wide registration order. */
export interface RegistrationRecord {
  id: number
  uri: string
  match: MatchPolicy
  invoke: InvokePolicy
  /** ISO 8601. */
  created: string
  callees: CalleeRecord[]
}

export interface SubscriberRecord {
  node: string
  session: number
  /** Set just before a quiet removal (kill_all): its on_unsubscribe (and on_delete) are not published. */
  quiet?: true
}

/** `sub.<match>.<uri>`: a subscription and its subscribers. */
export interface SubscriptionRecord {
  id: number
  uri: string
  match: MatchPolicy
  created: string
  subscribers: SubscriberRecord[]
}

/** `ses.<id>`: a session and the node it is connected to. */
export interface SessionRecord {
  node: string
  /** Its node's incarnation (ClusterLink.incarnation): a restarted node's new sessions are told from its previous life's. */
  incarnation: string
  /** As wamp.session.get returns it, `node` included. */
  details: Dict
  /** Set just before its key is deleted when it leaves without meta events (kill_all): nobody publishes on_leave. */
  quiet?: boolean
}

/** `mark.<node>`: written by a replica to know when its watch has caught up. */
export interface MarkRecord {
  node: string
  incarnation: string
  at: number
}

/**
 * `rol.<b64 uri>`: the rollouts of one URI. `owner` runs `running` and alone writes it (each
 * write a compare-and-set that checks it still owns it); null while a rollout waits to be taken
 * over (its node stopped and handed it over). A node taking over sets itself as owner by
 * compare-and-set, so one node only runs it.
 */
export interface RolloutEntry {
  uri: string
  owner: { node: string; incarnation: string } | null
  /** The node that ran it before (handed over, or down), until another takes it. */
  from?: string
  running: RolloutRecord | null
  /** Finished rollouts, newest first (HISTORY_PER_URI at most). */
  history: RolloutRecord[]
}
