import type { QueuedCall } from './call-queue.js'
import type { EventDelivery, EventFlow } from './event-flow.js'
import type { Dict } from './inbound.js'
import type { Invocation } from './invocation.js'
import type { Realm } from './realm.js'
import type { Callee } from './registration.js'
import type { Serializer } from './serializers.js'
import type { Subscription } from './subscription.js'
import { Testaments } from './testaments.js'
import type { TransportInfo } from './transport.js'

export type { TransportInfo } from './transport.js'

/** What a session needs from the connection it runs over. */
export interface SessionTransport {
  readonly serializer: Serializer
  readonly info: TransportInfo
  send(message: unknown[]): void
  /**
   * Send an EVENT already encoded with `serializer` (fan-out encodes each event once per
   * serializer). Events are the one message that may be dropped under overload: see event-flow.ts.
   */
  sendEvent(data: Buffer | string): EventDelivery
  /** Overload policy of this peer (drops as a subscriber, pushback as a publisher). */
  readonly events: EventFlow
  /** Send `message`, already encoded with `serializer` (the dealer encodes first, to refuse what the peer cannot receive). */
  sendEncoded(data: Buffer | string, message: unknown[]): void
  /** The router ends this session: GOODBYE with `reason` (kill, shutdown); the realm has already let it go. */
  goodbye(reason: string, message?: string): void
}

export interface Identity {
  authid: string
  authrole: string
  authmethod: string
  authprovider: string
  authextra?: Dict
}

/** Client role features the router acts on, read once from HELLO.Details.roles. */
export interface PeerFeatures {
  calleeCanceling: boolean
  calleeProgressive: boolean
  calleeRevocation: boolean
  callerProgressive: boolean
}

export function readFeatures(roles: Dict): PeerFeatures {
  const f = (role: string, feature: string): boolean => {
    const r = roles[role] as Dict | undefined
    const features = r && typeof r === 'object' ? (r.features as Dict | undefined) : undefined
    return features !== undefined && features !== null && typeof features === 'object' && features[feature] === true
  }
  return {
    calleeCanceling: f('callee', 'call_canceling'),
    calleeProgressive: f('callee', 'progressive_call_results'),
    calleeRevocation: f('callee', 'registration_revocation'),
    callerProgressive: f('caller', 'progressive_call_results'),
  }
}

/**
 * An established WAMP session in a realm. The dealer and broker keep their per-session indexes
 * here so that a session's departure is cleaned up in time proportional to what it held.
 */
export class Session {
  /** Invocations sent to this session as a callee, by INVOCATION.Request. */
  readonly invocations = new Map<number, Invocation>()
  /** Calls this session made as a caller and still waits on, by CALL.Request. */
  readonly calls = new Map<number, Invocation>()
  /** Calls this session made that wait for a callee with room (concurrency caps), by CALL.Request. */
  readonly queued = new Map<number, QueuedCall>()
  readonly callees = new Set<Callee>()
  readonly subscriptions = new Set<Subscription>()
  /** Events to publish when this session is gone (wamp.session.add_testament). */
  readonly testaments = new Testaments()
  readonly joinedAt = new Date()
  /** Per action: this session's role may do it on any URI (skips per-URI rule checks on the hot path). */
  allowAll = { call: false, register: false, publish: false, subscribe: false }
  admin = false
  closed = false
  private nextRequest = 1

  constructor(
    readonly id: number,
    readonly realm: Realm,
    readonly transport: SessionTransport,
    readonly identity: Identity,
    readonly roles: Dict,
    readonly features: PeerFeatures,
  ) {}

  get authid(): string {
    return this.identity.authid
  }

  get authrole(): string {
    return this.identity.authrole
  }

  /** Next request id for a message the router sends this session (INVOCATION, INTERRUPT…). */
  nextRequestId(): number {
    const id = this.nextRequest
    this.nextRequest = id >= 2 ** 53 ? 1 : id + 1
    return id
  }

  send(message: unknown[]): void {
    if (!this.closed) this.transport.send(message)
  }

  /** Send a message already encoded with this session's serializer (serializers.ts encodeForPeer). */
  sendEncoded(data: Buffer | string, message: unknown[]): void {
    if (!this.closed) this.transport.sendEncoded(data, message)
  }

  /** `wamp.session.get` / `on_join` details, exactly as the spec lists them. */
  details(): Dict {
    return {
      session: this.id,
      authid: this.identity.authid,
      authrole: this.identity.authrole,
      authmethod: this.identity.authmethod,
      authprovider: this.identity.authprovider,
      ...(this.identity.authextra !== undefined ? { authextra: this.identity.authextra } : {}),
      transport: this.transport.info,
    }
  }
}
