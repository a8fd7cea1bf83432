import { EventDelivery, type EventFlow } from '../event-flow.js'
import type { Realm } from '../realm.js'
import { wireSerializer } from './call-wire.js'
import { Session, type SessionTransport, type TransportInfo } from '../session.js'

/** Where a RemoteCaller's answers go: the forwarding of its realm sends them to the caller's node. */
export interface AnswerSink {
  /** `message` (RESULT or ERROR for `caller`'s call), already encoded in msgpack as `data`. */
  answer(caller: RemoteCaller, data: Buffer | string, message: unknown[]): void
}

/**
 * A caller of another node as the dealer of the callee's node sees it: a session-shaped proxy that
 * makes the calls forwarded here (CALL.Request = the calling node's INVOCATION.Request), and whose
 * answers (RESULT, progress too, and ERROR) travel back to its node. It is in no session table of
 * this node: it never joined here. One per (node, caller session), kept while it has calls.
 */
export class RemoteCaller extends Session {
  /** Made a call since the last sweep of idle callers (CallForwarding forgets the others). */
  recentlyUsed = true

  constructor(
    readonly node: string,
    id: number,
    realm: Realm,
    authid: string,
    authrole: string,
    sink: AnswerSink,
  ) {
    const transport = new AnswerTransport(node, sink)
    super(
      id,
      realm,
      transport,
      { authid, authrole, authmethod: 'cluster', authprovider: node },
      {},
      // It receives progressive results when its node asked for them (the INVOCATION says so).
      { calleeCanceling: false, calleeProgressive: false, calleeRevocation: false, callerProgressive: true },
    )
    transport.caller = this
  }
}

/** A RemoteCaller's transport: what the dealer sends it goes to the sink, encoded in msgpack. */
class AnswerTransport implements SessionTransport {
  readonly serializer = wireSerializer
  readonly info: TransportInfo
  caller!: RemoteCaller

  constructor(
    node: string,
    private readonly sink: AnswerSink,
  ) {
    this.info = { type: 'websocket', protocol: 'cluster', peer: `node:${node}` }
  }

  send(message: unknown[]): void {
    this.sink.answer(this.caller, wireSerializer.encode(message), message)
  }

  sendEncoded(data: Buffer | string, message: unknown[]): void {
    this.sink.answer(this.caller, data, message)
  }

  /** A caller of another node neither subscribes nor publishes here. */
  sendEvent(): EventDelivery {
    return EventDelivery.dropped
  }

  get events(): EventFlow {
    throw new Error('a remote caller neither publishes nor subscribes on this node')
  }

  goodbye(): void {}
}
