import { ErrorUri } from '../protocol/error-uris.js'

/**
 * Router-wide counters for operators (the admin listener's /metrics reads them at scrape time).
 * Plain numbers owned by the router and incremented with O(1) work where things happen: an array
 * index per message, a map entry per dropped peer or failed authentication. Nothing here formats,
 * allocates or awaits; exporting is the admin listener's job.
 *
 * Every label a counter is keyed by comes from a closed set named here (message codes, the reasons
 * below, the spec's error URIs), so the exported series stay bounded whatever peers send.
 */

/** Handshake refusals that are failed authentications (counted by URI), not other refusals (no such realm…). */
export const AUTH_FAILURE_URIS: ReadonlySet<string> = new Set([
  ErrorUri.authenticationFailed,
  ErrorUri.authenticationDenied,
  ErrorUri.noAuthMethod,
  ErrorUri.noSuchPrincipal,
  ErrorUri.noSuchRole,
  ErrorUri.authorizationFailed,
])

/** Why the router dropped a peer (closed its transport without the peer asking). */
export const DropReason = {
  /** Its unsent data passed maxBufferedBytes: it reads too slowly. */
  tooSlow: 'too_slow',
  /** It sent something the protocol forbids (ABORT wamp.error.protocol_violation). */
  protocolViolation: 'protocol_violation',
  /** Its session was killed by an operator (wamp.session.kill*, drain then=kill). */
  killed: 'killed',
  /** It did not answer liveness pings in time. */
  livenessTimeout: 'liveness_timeout',
  /** It did not finish the WAMP opening handshake in time. */
  handshakeTimeout: 'handshake_timeout',
  /** The router is shutting down and refused or ended it. */
  shutdown: 'shutdown',
} as const
export type DropReason = (typeof DropReason)[keyof typeof DropReason]

/** Why the router did not deliver an event to a subscriber. */
export const EventDropReason = {
  /** The subscriber's outgoing queue was over its limit (backpressure). */
  backpressure: 'backpressure',
  /** The router as a whole was over its limit. */
  overload: 'overload',
  /** The subscriber's serializer cannot carry the event's values (a CBOR bignum for a JSON subscriber). */
  unencodable: 'unencodable',
} as const
export type EventDropReason = (typeof EventDropReason)[keyof typeof EventDropReason]

/**
 * Why a CALL got wamp.error.no_available_callee from the router: the queue reasons are
 * call-queue.ts's QueueRefusal values, so the label says the same as the error's kwargs.
 */
export const CallRejectReason = {
  /** Every callee is cordoned, draining, at weight 0 or answered wamp.error.unavailable. */
  noEligibleCallee: 'no_eligible_callee',
  queueFull: 'queue_full',
  queueTimeout: 'queue_timeout',
  calleesGone: 'callees_gone',
  /** A graceful shutdown began. */
  shutdown: 'shutdown',
} as const
export type CallRejectReason = (typeof CallRejectReason)[keyof typeof CallRejectReason]

/** Message codes are small integers (largest: YIELD = 70); anything else is counted under 0. */
const CODE_SLOTS = 128

export class RouterCounters {
  /** Messages received, by WAMP message code (index = code). Counted once parsed. */
  readonly messagesIn = new Float64Array(CODE_SLOTS)
  /** Messages sent, by WAMP message code (index = code). */
  readonly messagesOut = new Float64Array(CODE_SLOTS)
  /** Frames that could not be decoded or parsed as a WAMP message (each also a protocol violation). */
  malformedFrames = 0
  /** Bytes of transports already closed; the live ones are read from their sockets at scrape time. */
  closedBytesIn = 0
  closedBytesOut = 0
  /** Sessions that got WELCOME, and that ended (any way). */
  sessionsOpened = 0
  sessionsClosed = 0
  /** Sessions or handshakes ended with ABORT wamp.error.protocol_violation. */
  protocolViolations = 0
  /** Peers the router dropped, by reason. */
  readonly peersDropped = new Map<DropReason, number>()
  /** Failed authentications, by the error URI the peer got (authentication_failed, no_such_principal…). */
  readonly authFailures = new Map<string, number>()
  /** Events not delivered to a subscriber, by reason. */
  readonly eventsDropped = new Map<EventDropReason, number>()
  /** CALLs answered wamp.error.no_available_callee by the router, by reason. */
  readonly callsRejected = new Map<CallRejectReason, number>()

  messageIn(code: number): void {
    this.messagesIn[code < CODE_SLOTS && code > 0 ? code : 0]!++
  }

  messageOut(code: number): void {
    this.messagesOut[code < CODE_SLOTS && code > 0 ? code : 0]!++
  }

  peerDropped(reason: DropReason): void {
    this.peersDropped.set(reason, (this.peersDropped.get(reason) ?? 0) + 1)
  }

  authFailed(uri: string): void {
    this.authFailures.set(uri, (this.authFailures.get(uri) ?? 0) + 1)
  }

  callRejected(reason: CallRejectReason): void {
    this.callsRejected.set(reason, (this.callsRejected.get(reason) ?? 0) + 1)
  }

  eventDropped(reason: EventDropReason, count = 1): void {
    this.eventsDropped.set(reason, (this.eventsDropped.get(reason) ?? 0) + count)
  }
}
