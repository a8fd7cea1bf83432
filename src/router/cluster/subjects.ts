import { token } from './keys.js'

/** NATS subjects of one cluster (docs/cluster.md, "Names on NATS"). */
export class Subjects {
  constructor(readonly cluster: string) {}

  /** Every node's heartbeat. */
  get heartbeat(): string {
    return `${this.cluster}.hb`
  }

  /**
   * Calls into and answers to `node` in `realm`: INVOCATION and INTERRUPT for its callees, RESULT
   * and ERROR for its callers, in frames batched per turn (call-wire.ts). One subject per node and
   * realm, so that a turn's frames from one node to another go as one message, and each realm's
   * forwarding decodes only its own calls.
   */
  calls(node: string, realm: string): string {
    return `${this.cluster}.node.${node}.call.${token(realm)}`
  }

  /** Requests to `node` (request-reply): kill a session, drain a callee, its part of a snapshot. */
  requests(node: string): string {
    return `${this.cluster}.node.${node}.req`
  }

  /** Each node's part of wampctl.stats.on_tick in `realm` (its own callees), to every node. */
  ticks(realm: string): string {
    return `${this.cluster}.tick.${token(realm)}`
  }

  /** wampctl.rollout.on_update of the rollouts a node runs in `realm`, to every node (each publishes to its own subscribers). */
  rollouts(realm: string): string {
    return `${this.cluster}.rollout.${token(realm)}`
  }

  /** Publications in `realm`, to every node. */
  publications(realm: string): string {
    return `${this.cluster}.pub.${token(realm)}`
  }
}

/**
 * JetStream's advisory that the stream behind KV bucket `bucket` elected a leader (a NATS server
 * of a NATS cluster went away, or came back): the replicas' watches may have lost their consumer.
 */
export function bucketLeaderElected(bucket: string): string {
  return `$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.KV_${bucket}`
}
