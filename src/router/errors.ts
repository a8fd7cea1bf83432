import { ErrorUri } from '../protocol/error-uris.js'

/**
 * Every error the router raises, with a stable code (WAMPCTL_ERR_*) and the WAMP error URI it maps
 * to. Routing code throws these; the session turns them into ERROR or ABORT in one place
 * (session.ts), so the mapping from failure to wire answer lives here and nowhere else.
 */
export class RouterError extends Error {
  override readonly name: string = 'RouterError'
  constructor(
    readonly code: string,
    readonly uri: string,
    message: string,
    readonly kwargs?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The peer broke the protocol: its session is aborted with `wamp.error.protocol_violation`. */
export class ProtocolViolationError extends RouterError {
  override readonly name = 'ProtocolViolationError'
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAMPCTL_ERR_PROTOCOL_VIOLATION', ErrorUri.protocolViolation, message, undefined, options)
  }
}

export class InvalidUriError extends RouterError {
  override readonly name = 'InvalidUriError'
  constructor(uri: unknown, why: string) {
    super('WAMPCTL_ERR_INVALID_URI', ErrorUri.invalidUri, `invalid URI ${JSON.stringify(uri)}: ${why}`)
  }
}

export class NotAuthorizedError extends RouterError {
  override readonly name = 'NotAuthorizedError'
  constructor(message: string) {
    super('WAMPCTL_ERR_NOT_AUTHORIZED', ErrorUri.notAuthorized, message)
  }
}

export class InvalidArgumentError extends RouterError {
  override readonly name = 'InvalidArgumentError'
  constructor(message: string) {
    super('WAMPCTL_ERR_INVALID_ARGUMENT', ErrorUri.invalidArgument, message)
  }
}

export class NoSuchProcedureError extends RouterError {
  override readonly name = 'NoSuchProcedureError'
  constructor(procedure: string) {
    super('WAMPCTL_ERR_NO_SUCH_PROCEDURE', ErrorUri.noSuchProcedure, `no callee registered for procedure '${procedure}'`)
  }
}

export class ProcedureAlreadyExistsError extends RouterError {
  override readonly name = 'ProcedureAlreadyExistsError'
  constructor(message: string, existing: { registration: number; match: string; invoke: string }) {
    super('WAMPCTL_ERR_PROCEDURE_ALREADY_EXISTS', ErrorUri.procedureAlreadyExists, message, existing)
  }
}

/**
 * A cluster node cannot make a change every node must agree on (a REGISTER's or SUBSCRIBE's record)
 * while NATS is unreachable, or the record kept changing under it: nothing changed; try again.
 */
export class ClusterUnavailableError extends RouterError {
  override readonly name = 'ClusterUnavailableError'
  constructor(message: string, options?: { cause?: unknown }) {
    super('WAMPCTL_ERR_CLUSTER_UNAVAILABLE', ErrorUri.clusterUnavailable, message, undefined, options)
  }
}

export class NoAvailableCalleeError extends RouterError {
  override readonly name = 'NoAvailableCalleeError'
  constructor(procedure: string, why: string, kwargs?: Record<string, unknown>) {
    super('WAMPCTL_ERR_NO_AVAILABLE_CALLEE', ErrorUri.noAvailableCallee, `no available callee for '${procedure}': ${why}`, kwargs)
  }
}

export class NoSuchRegistrationError extends RouterError {
  override readonly name = 'NoSuchRegistrationError'
  constructor(id: unknown) {
    super('WAMPCTL_ERR_NO_SUCH_REGISTRATION', ErrorUri.noSuchRegistration, `no registration ${JSON.stringify(id)}`)
  }
}

export class NoSuchSubscriptionError extends RouterError {
  override readonly name = 'NoSuchSubscriptionError'
  constructor(id: unknown) {
    super('WAMPCTL_ERR_NO_SUCH_SUBSCRIPTION', ErrorUri.noSuchSubscription, `no subscription ${JSON.stringify(id)}`)
  }
}

export class NoSuchSessionError extends RouterError {
  override readonly name = 'NoSuchSessionError'
  constructor(id: unknown) {
    super('WAMPCTL_ERR_NO_SUCH_SESSION', ErrorUri.noSuchSession, `no session ${JSON.stringify(id)}`)
  }
}

/** Another cluster node answered a request with an error (or did not answer): its WAMP URI is passed on. */
export class RemoteNodeError extends RouterError {
  override readonly name = 'RemoteNodeError'
  constructor(uri: string, message: string) {
    super('WAMPCTL_ERR_REMOTE_NODE', uri, message)
  }
}

export class NoSuchRolloutError extends RouterError {
  override readonly name = 'NoSuchRolloutError'
  constructor(message: string) {
    super('WAMPCTL_ERR_NO_SUCH_ROLLOUT', ErrorUri.noSuchRollout, message)
  }
}

/** A rollout safety check refused: nothing was changed. */
export class RolloutRefusedError extends RouterError {
  override readonly name = 'RolloutRefusedError'
  constructor(message: string) {
    super('WAMPCTL_ERR_ROLLOUT_REFUSED', ErrorUri.rolloutRefused, message)
  }
}

export class OptionNotAllowedError extends RouterError {
  override readonly name = 'OptionNotAllowedError'
  constructor(message: string) {
    super('WAMPCTL_ERR_OPTION_NOT_ALLOWED', ErrorUri.optionNotAllowed, message)
  }
}

export class PayloadSizeExceededError extends RouterError {
  override readonly name = 'PayloadSizeExceededError'
  constructor(size: number, limit: number) {
    super('WAMPCTL_ERR_PAYLOAD_SIZE_EXCEEDED', ErrorUri.payloadSizeExceeded, `message of ${size} bytes exceeds the limit of ${limit} bytes`)
  }
}

/** A message nested too deep or holding too many values (frame-limits.ts): refused before it is decoded. */
export class FrameStructureError extends RouterError {
  override readonly name = 'FrameStructureError'
  constructor(why: string) {
    super('WAMPCTL_ERR_MESSAGE_TOO_COMPLEX', ErrorUri.invalidArgument, `message refused before decoding: ${why}`)
  }
}

/** A value the receiver's serializer cannot carry (a CBOR bignum for a JSON peer…): refused, never half-sent. */
export class UnencodableValueError extends RouterError {
  override readonly name = 'UnencodableValueError'
  constructor(protocol: string, what: string, cause: unknown) {
    super(
      'WAMPCTL_ERR_UNENCODABLE_VALUE',
      ErrorUri.invalidArgument,
      `${what} cannot be encoded for a ${protocol} peer: ${cause instanceof Error ? cause.message : String(cause)}`,
      undefined,
      { cause },
    )
  }
}

export class FeatureNotSupportedError extends RouterError {
  override readonly name = 'FeatureNotSupportedError'
  constructor(message: string) {
    super('WAMPCTL_ERR_FEATURE_NOT_SUPPORTED', ErrorUri.featureNotSupported, message)
  }
}

/** Raised while opening a session: answered with ABORT carrying `uri`. */
export class HandshakeError extends RouterError {
  override readonly name = 'HandshakeError'
  constructor(uri: string, message: string) {
    super('WAMPCTL_ERR_HANDSHAKE', uri, message)
  }
}

/** Raised by the Router's own API (listen twice, bad configuration…), never sent on the wire. */
export class RouterConfigError extends Error {
  override readonly name = 'RouterConfigError'
  readonly code = 'WAMPCTL_ERR_CONFIG'
}

/** A drain run for another cluster node was abandoned (its caller went away): the callees stay cordoned. */
export class DrainAbandonedError extends RouterError {
  override readonly name = 'DrainAbandonedError'
  constructor(session: number) {
    super('WAMPCTL_ERR_DRAIN_ABANDONED', ErrorUri.canceled, `the drain of session ${session} was abandoned; its callees stay cordoned`)
  }
}
