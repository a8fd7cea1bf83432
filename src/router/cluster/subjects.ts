import { token } from './keys.js'

/** NATS subjects of one cluster (docs/cluster.md, "Names on NATS"). */
export class Subjects {
  constructor(readonly cluster: string) {}

  /** Every node's heartbeat. */
  get heartbeat(): string {
    return `${this.cluster}.hb`
  }

  /**
   * Calls into `node` in `realm`: INVOCATION and INTERRUPT for its callees. One subject per realm,
   * so that NATS dispatches by realm and each realm's forwarding decodes only its own calls.
   */
  invocations(node: string, realm: string): string {
    return `${this.cluster}.node.${node}.inv.${token(realm)}`
  }

  /** Answers to `node` in `realm`: RESULT and ERROR for calls its callers made. */
  answers(node: string, realm: string): string {
    return `${this.cluster}.node.${node}.res.${token(realm)}`
  }

  /** Requests to `node` (request-reply): kill a session, drain a callee, its part of a snapshot. */
  requests(node: string): string {
    return `${this.cluster}.node.${node}.req`
  }

  /** Each node's part of wampctl.stats.on_tick in `realm` (its own callees), to every node. */
  ticks(realm: string): string {
    return `${this.cluster}.tick.${token(realm)}`
  }

  /** Publications in `realm`, to every node. */
  publications(realm: string): string {
    return `${this.cluster}.pub.${token(realm)}`
  }
}
