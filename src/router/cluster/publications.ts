import type { Msg, Subscription as NatsSubscription } from '@nats-io/transport-node'
import type { Publisher } from '../broker.js'
import type { Args, Dict, Kwargs } from '../inbound.js'
import type { Realm } from '../realm.js'
import type { ClusterLink } from './link.js'
import { Outbox, type Undelivered } from './outbox.js'
import type { SubscriptionsReplica } from './subscriptions-replica.js'
import { pack, unpack } from './wire.js'

/** A frame of publications is the publication alone. */
const NO_ITEMS: readonly never[] = []

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
 *
 * The publications of one turn of the event loop go as one NATS message (outbox.ts: a msgpack
 * array of frames `[PublicationMessage]`, split under max_payload), in the order they were made.
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
  private readonly outbox: Outbox
  /** NATS refused a message of publications: they were not sent after all. */
  private readonly refused: Undelivered = {
    undelivered: (why) => {
      this.sent--
      this.unsent++
      this.onError(new Error(why), 'cluster: forwarding a publication')
    },
  }

  constructor(
    private readonly realm: Realm,
    private readonly link: ClusterLink,
    private readonly replica: SubscriptionsReplica,
    private readonly onError: (err: unknown, context: string) => void,
  ) {
    this.subject = link.subjects.publications(realm.name)
    this.outbox = Outbox.on(link.nc)
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
    let encoded: Buffer
    try {
      encoded = pack(message)
    } catch (err) {
      this.unsent++
      return this.onError(err, `cluster: forwarding a publication to '${topic}'`)
    }
    this.sent++
    this.outbox.add(this.subject, NO_ITEMS, encoded, this.refused)
  }

  close(): void {
    this.outbox.flush()
    this.sub.unsubscribe()
  }

  private receive(msg: Msg): void {
    let frames: Array<[PublicationMessage]>
    try {
      frames = unpack<Array<[PublicationMessage]>>(msg.data)
      if (!Array.isArray(frames)) throw new Error('a message of publications must be a msgpack array')
    } catch (err) {
      return this.onError(err, 'cluster: a publication from another node could not be read')
    }
    for (const [p] of frames) {
      if (p.from === this.link.node) return // all of this message is this node's own
      this.received++
      try {
        this.realm.broker.deliverForwarded(p.topic, p.args ?? undefined, p.kwargs ?? undefined, p.options ?? {}, p.publisher, p.publication)
      } catch (err) {
        this.onError(err, `cluster: delivering a publication to '${p.topic}' from node ${p.from}`)
      }
    }
  }
}
