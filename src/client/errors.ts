import { ErrorUri } from '../protocol/error-uris.js'

/**
 * Errors of wampctl's client side, each with a stable code and the CLI exit code it maps to
 * (0 ok, 1 error, 2 usage, 3 not found, 4 refused by a safety check, 5 timeout, 6 rolled back, 130 interrupted).
 */
export class WampctlError extends Error {
  override readonly name: string = 'WampctlError'
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The router could not be reached or refused the session. */
export class ConnectError extends WampctlError {
  override readonly name = 'ConnectError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'WAMPCTL_CONNECT', 1, options)
  }
}

/** A WAMP ERROR came back from a call: `uri` is the error URI. */
export class CallError extends WampctlError {
  override readonly name: string = 'CallError'
  constructor(
    readonly uri: string,
    message: string,
    readonly args: unknown[] = [],
    readonly kwargs: Record<string, unknown> = {},
    exitCode = 1,
  ) {
    super(message, 'WAMPCTL_CALL', exitCode)
  }
}

/** Unknown session, registration or URI. */
export class NotFoundError extends WampctlError {
  override readonly name = 'NotFoundError'
  constructor(message: string) {
    super(message, 'WAMPCTL_NOT_FOUND', 3)
  }
}

/** The router refused: the credentials' role may not do this. */
export class NotAuthorizedError extends WampctlError {
  override readonly name = 'NotAuthorizedError'
  constructor(message: string) {
    super(message, 'WAMPCTL_NOT_AUTHORIZED', 1)
  }
}

/** The router cannot do this (no wampctl extensions: Crossbar, Nexus, or ours with them off). */
export class UnsupportedError extends WampctlError {
  override readonly name = 'UnsupportedError'
  constructor(message: string) {
    super(message, 'WAMPCTL_UNSUPPORTED', 1)
  }
}

/** A safety check refused the operation (e.g. draining the last active callee without --force). */
export class SafetyError extends WampctlError {
  override readonly name = 'SafetyError'
  constructor(message: string) {
    super(message, 'WAMPCTL_REFUSED', 4)
  }
}

export class TimeoutError extends WampctlError {
  override readonly name = 'TimeoutError'
  constructor(message: string) {
    super(message, 'WAMPCTL_TIMEOUT', 5)
  }
}

export class UsageError extends WampctlError {
  override readonly name = 'UsageError'
  constructor(message: string) {
    super(message, 'WAMPCTL_USAGE', 2)
  }
}

/** The operator interrupted the command (Ctrl-C, SIGTERM): exit 130, as shells report SIGINT. The message says what state is left. */
export class InterruptedError extends WampctlError {
  override readonly name = 'InterruptedError'
  constructor(message: string) {
    super(message, 'WAMPCTL_INTERRUPTED', 130)
  }
}

/** A rollout was rolled back because a health gate failed. */
export class RolledBackError extends WampctlError {
  override readonly name = 'RolledBackError'
  constructor(message: string) {
    super(message, 'WAMPCTL_ROLLED_BACK', 6)
  }
}

/** Turn a WAMP error URI into the client error an operator should see. */
export function fromWampError(uri: string, args: unknown[], kwargs: Record<string, unknown>, what: string): WampctlError {
  const detail = typeof args[0] === 'string' ? args[0] : uri
  switch (uri) {
    case ErrorUri.notAuthorized:
    case ErrorUri.authorizationFailed:
      return new NotAuthorizedError(`not authorized: ${detail}`)
    case ErrorUri.noSuchSession:
    case ErrorUri.noSuchRegistration:
    case ErrorUri.noSuchSubscription:
      return new NotFoundError(detail === uri ? `${what}: ${uri}` : detail)
    case ErrorUri.noSuchProcedure:
      return new CallError(uri, detail === uri ? `${what}: no such procedure` : detail, args, kwargs, 3)
    case ErrorUri.noSuchRollout:
      return new NotFoundError(detail)
    case ErrorUri.rolloutRefused:
      return new SafetyError(detail)
    case ErrorUri.timeout:
      return new CallError(uri, `${what}: timed out`, args, kwargs, 5)
    case ErrorUri.drainTimeout:
      return new CallError(uri, detail, args, kwargs, 5)
    default:
      return new CallError(uri, `${what} failed: ${uri}${detail !== uri ? ` (${detail})` : ''}`, args, kwargs)
  }
}
