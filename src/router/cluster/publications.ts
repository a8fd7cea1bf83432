import type { Msg, Subscription as NatsSubscription } from '@nats-io/transport-node'
import type { Publisher } from '../broker.js'
import type { Args, Dict, Kwargs } from '../inbound.js'
import type { Realm } from '../realm.js'
import type { ClusterLink } from './link.js'
import type { SubscriptionsReplica } from './subscriptions-replica.js'
import { pack, unpack } from './wire.js'

/** A publication on its way from the publisher's node to the others (`<name>.pub.<realm>`). */
interface PublicationMessage {
  /** The publisher's node: it delivered to its own subscribers already. */
  from: string
  /** The publication id the publisher's node chose: the same in every EVENT on every node. */
  publication: number
  topic: string
  args: Args
  kwargs: Kwargs
  /** PUBLISH.Options as the publisher gave them: each node applies them to its own subscribers. */
  options: Dict
  /** Who published: for disclose_me, and so that exclude_me holds (that session is on no other node). */
  publisher: { id: number; authid: string; authrole: string }
}

/**
 * Publications crossing nodes: a client's publication (or a testament) made here goes out once on
 * the realm's subject when another node has a matching subscriber, never waiting on NATS, and each
 * node delivers those of the others to its own subscribers. Router meta events never come here:
 * every node derives its own from the KV changes it watches.
 */
export class Publications {
  /** Publications sent to the other nodes. */
  sent = 0
  /** Publications another node had subscribers for that could not go (NATS away, or not encodable for the wire): not queued. */
  unsent = 0
  /** Publications of other nodes delivered here. */
  received = 0
  private readonly subject: string
  private readonly sub: NatsSubscription

  constructor(
    private readonly realm: Realm,
    private readonly link: ClusterLink,
    private readonly replica: SubscriptionsReplica,
    private readonly onError: (err: unknown, context: string) => void,
  ) {
    this.subject = link.subjects.publications(realm.name)
    this.sub = link.nc.subscribe(this.subject, { callback: (err, msg) => void (err === null && this.receive(msg)) })
  }

  /** Send a publication made here to the other nodes, if one of them has a matching subscriber. */
  forward(topic: string, args: Args, kwargs: Kwargs, options: Dict, publisher: Publisher, publication: number): void {
    if (!this.replica.hasRemoteSubscriber(topic)) return
    if (!this.link.connected) {
      this.unsent++
      return
    }
    const message: PublicationMessage = {
      from: this.link.node,
      publication,
      topic,
      args,
      kwargs,
      options,
      publisher: { id: publisher.id, authid: publisher.authid, authrole: publisher.authrole },
    }
    try {
      this.link.nc.publish(this.subject, pack(message))
      this.sent++
    } catch (err) {
      this.unsent++
      this.onError(err, `cluster: forwarding a publication to '${topic}'`)
    }
  }

  close(): void {
    this.sub.unsubscribe()
  }

  private receive(msg: Msg): void {
    let p: PublicationMessage
    try {
      p = unpack<PublicationMessage>(msg.data)
    } catch (err) {
      return this.onError(err, 'cluster: a publication from another node could not be read')
    }
    if (p.from === this.link.node) return
    this.received++
    this.realm.broker.deliverForwarded(p.topic, p.args ?? undefined, p.kwargs ?? undefined, p.options ?? {}, p.publisher, p.publication)
  }
}
