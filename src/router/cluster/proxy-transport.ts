import { MessageCode } from '../../protocol/message-codes.js'
import { EventDelivery, type EventFlow } from '../event-flow.js'
import { wireSerializer } from './call-wire.js'
import type { SessionTransport, TransportInfo } from '../session.js'
import { remoteTransportInfo } from './remote-session.js'

/** Where a proxy's INVOCATIONs and INTERRUPTs go: the forwarding of its realm (forwarding.ts). */
export interface CallSink {
  forwardInvocation(t: ProxyTransport, data: Buffer | string, invocation: unknown[]): void
  forwardInterrupt(t: ProxyTransport, interrupt: unknown[]): void
}

/**
 * The transport of a proxy of another node's session (RealmCluster.remoteTransport): it writes to
 * no socket; the dealer's INVOCATIONs (encoded in msgpack, the serializer it announces) and
 * INTERRUPTs go to the session's node. Nothing else is ever sent to a proxy: its events are
 * delivered on its own node, and its node answers its REGISTER and the like.
 */
export class ProxyTransport implements SessionTransport {
  readonly serializer = wireSerializer
  readonly info: TransportInfo

  constructor(
    private readonly sink: CallSink,
    /** The node the session lives on. */
    readonly node: string,
    /** The session's id. */
    readonly session: number,
    /** Subject of calls into `node` in this realm. */
    readonly subject: string,
  ) {
    this.info = remoteTransportInfo(node)
  }

  send(message: unknown[]): void {
    if (message[0] === MessageCode.INTERRUPT) this.sink.forwardInterrupt(this, message)
  }

  sendEncoded(data: Buffer | string, message: unknown[]): void {
    if (message[0] === MessageCode.INVOCATION) this.sink.forwardInvocation(this, data, message)
  }

  sendEvent(): EventDelivery {
    return EventDelivery.dropped
  }

  get events(): EventFlow {
    throw new Error('a proxy of a session of another node neither publishes nor subscribes here')
  }

  goodbye(): void {}
}
