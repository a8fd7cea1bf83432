import { ErrorUri } from '../../protocol/error-uris.js'
import { MessageCode } from '../../protocol/message-codes.js'
import { EventDelivery, type EventFlow } from '../event-flow.js'
import type { Dict } from '../inbound.js'
import type { Realm } from '../realm.js'
import { msgpackSerializer } from '../serializers.js'
import { Session, type Identity, type PeerFeatures, type SessionTransport, type TransportInfo } from '../session.js'

/**
 * What a proxy announces: everything. The node the session lives on adapts to the real peer (it
 * does not send an INTERRUPT to a callee without call canceling, nor progress to one without it).
 */
const REMOTE_FEATURES: PeerFeatures = { calleeCanceling: true, calleeProgressive: true, calleeRevocation: true, callerProgressive: true }
const REMOTE_ROLES: Dict = {
  callee: { features: { call_canceling: true, progressive_call_results: true, registration_revocation: true } },
  caller: { features: { progressive_call_results: true } },
}

/**
 * A proxy never publishes (its node does, for its real session) and never receives EVENTs here
 * (every node delivers to its own subscribers): its transport's overload policy is never consulted.
 */
const NO_EVENT_FLOW = {
  held: false,
  dropped: 0,
  admit: () => EventDelivery.sent,
  published: () => {},
  stop: () => {},
} as unknown as EventFlow

/** `transport` of a proxy: where its session really is. */
export function remoteTransportInfo(node: string): TransportInfo {
  return { type: 'websocket', protocol: msgpackSerializer.protocol, peer: `cluster:${node}` }
}

/**
 * The transport of a proxy while its node cannot be reached (the default until calls across nodes
 * are wired, and what forwarding falls back to while NATS is away): every INVOCATION is answered
 * at once with `wamp.error.unavailable`, asynchronously (the dealer is still inside the call that
 * sent it), so the calling dealer reroutes to another callee or answers no_available_callee.
 * Everything else sent to it is dropped: INTERRUPT and revocations concern a call or callee that
 * does not exist on the other side.
 */
export class UnreachableTransport implements SessionTransport {
  readonly serializer = msgpackSerializer
  readonly info: TransportInfo
  readonly events = NO_EVENT_FLOW

  constructor(
    private readonly realm: Realm,
    readonly node: string,
    /** The proxy this transport carries, looked up when needed (the transport is made first). */
    private readonly proxy: () => Session | undefined,
  ) {
    this.info = remoteTransportInfo(node)
  }

  send(message: unknown[]): void {
    if (message[0] !== MessageCode.INVOCATION) return
    const request = message[1] as number
    queueMicrotask(() => {
      const session = this.proxy()
      if (session !== undefined && !session.closed)
        this.realm.dealer.invocationError(session, request, ErrorUri.unavailable, [`node ${this.node} cannot be reached`], undefined)
    })
  }

  sendEncoded(_data: Buffer | string, message: unknown[]): void {
    this.send(message)
  }

  sendEvent(): EventDelivery {
    return EventDelivery.dropped
  }

  goodbye(): void {}
}

/**
 * The sessions of other nodes as this node's dealer and broker see them (a remote callee's
 * `session`). A proxy is made on first sight (a callee in the registry) and forgotten when its
 * session or its whole node is gone. Its id is the real session's id (session ids are random in
 * 2^53: unique across the cluster). The proxies' transport comes from `transportFor`
 * (RealmCluster.remoteTransport: calls across nodes).
 */
export class RemoteSessions {
  /**
   * INVOCATION.Request ids of every proxy (h12calls): one counter per node and realm, so that
   * (calling node, request) names one call on the callee's node (forwarding.ts).
   */
  private nextRequest = 1
  private readonly byId = new Map<number, Session>()
  private readonly byNode = new Map<string, Set<Session>>()
  private readonly nodeById = new Map<number, string>()

  constructor(
    private readonly realm: Realm,
    private readonly transportFor: (node: string, sessionId: number) => SessionTransport,
  ) {}

  /** The proxy of session `id` of `node`, made now if this node has none. */
  obtain(node: string, id: number, identity: Identity): Session {
    const known = this.byId.get(id)
    if (known !== undefined) return known
    const session = new Session(id, this.realm, this.transportFor(node, id), identity, REMOTE_ROLES, REMOTE_FEATURES)
    session.nextRequestId = this.nextRequestId
    this.byId.set(id, session)
    this.nodeById.set(id, node)
    let set = this.byNode.get(node)
    if (set === undefined) this.byNode.set(node, (set = new Set()))
    set.add(session)
    return session
  }

  private readonly nextRequestId = (): number => {
    const id = this.nextRequest
    this.nextRequest = id >= 2 ** 53 ? 1 : id + 1
    return id
  }

  get(id: number): Session | undefined {
    return this.byId.get(id)
  }

  /** The proxies of `node`'s sessions. */
  ofNode(node: string): Session[] {
    const set = this.byNode.get(node)
    return set === undefined ? [] : [...set]
  }

  /** The node `session` lives on when it is a proxy; undefined for this node's own sessions. */
  nodeOf(session: Session): string | undefined {
    const node = this.nodeById.get(session.id)
    return node !== undefined && this.byId.get(session.id) === session ? node : undefined
  }

  /** Every proxy. */
  all(): IterableIterator<Session> {
    return this.byId.values()
  }

  /**
   * The session is gone (or cannot be reached any more): detached from the dealer and broker like a
   * lost session (its callees leave the local dealer, callers of its calls in flight get
   * `wamp.error.canceled`), then forgotten. Meta events come from the registry's records, not from here.
   */
  drop(id: number): void {
    const session = this.byId.get(id)
    if (session === undefined) return
    session.closed = true
    this.forget(session)
    this.realm.dealer.detach(session)
    this.realm.broker.detach(session)
  }

  /** Every proxy of `node` (it is down). */
  dropNode(node: string): void {
    for (const s of this.ofNode(node)) this.drop(s.id)
  }

  private forget(session: Session): void {
    this.byId.delete(session.id)
    const node = this.nodeById.get(session.id)
    this.nodeById.delete(session.id)
    if (node === undefined) return
    const set = this.byNode.get(node)
    set?.delete(session)
    if (set?.size === 0) this.byNode.delete(node)
  }
}
