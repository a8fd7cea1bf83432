/** Error and close reason URIs from the WAMP spec, plus wampctl's own. One place, stable strings. */
export const ErrorUri = {
  invalidUri: 'wamp.error.invalid_uri',
  noSuchProcedure: 'wamp.error.no_such_procedure',
  procedureAlreadyExists: 'wamp.error.procedure_already_exists',
  noSuchRegistration: 'wamp.error.no_such_registration',
  noSuchSubscription: 'wamp.error.no_such_subscription',
  noSuchSession: 'wamp.error.no_such_session',
  invalidArgument: 'wamp.error.invalid_argument',
  canceled: 'wamp.error.canceled',
  /** A callee's exception that carries no URI of its own (autobahn's default). */
  runtimeError: 'wamp.error.runtime_error',
  /** UNREGISTERED reason when the router removes a callee (Crossbar's remove_callee default). */
  removed: 'wamp.error.removed',
  timeout: 'wamp.error.timeout',
  payloadSizeExceeded: 'wamp.error.payload_size_exceeded',
  protocolViolation: 'wamp.error.protocol_violation',
  notAuthorized: 'wamp.error.not_authorized',
  authorizationFailed: 'wamp.error.authorization_failed',
  /** A technical failure while authenticating (spec); refused credentials are authenticationDenied. */
  authenticationFailed: 'wamp.error.authentication_failed',
  /** Credentials the router refuses: wrong ticket or WAMP-CRA signature, or a locked-out authid/address. */
  authenticationDenied: 'wamp.error.authentication_denied',
  noAuthMethod: 'wamp.error.no_auth_method',
  noSuchRealm: 'wamp.error.no_such_realm',
  noSuchRole: 'wamp.error.no_such_role',
  noSuchPrincipal: 'wamp.error.no_such_principal',
  optionNotAllowed: 'wamp.error.option_not_allowed',
  unavailable: 'wamp.error.unavailable',
  noAvailableCallee: 'wamp.error.no_available_callee',
  featureNotSupported: 'wamp.error.feature_not_supported',
  /** wampctl: a drain did not finish within its timeout (the callee stays cordoned). */
  drainTimeout: 'wampctl.error.drain_timeout',
  /** wampctl: no rollout of that URI is running (or known, for status/undo). */
  noSuchRollout: 'wampctl.error.no_such_rollout',
  /** wampctl: a rollout safety check refused (one already runs, nothing to compare with, cannot undo…). */
  rolloutRefused: 'wampctl.error.rollout_refused',
  /** wampctl: a cluster node could not make a change every node must agree on (NATS away, or the registry kept changing under it). */
  clusterUnavailable: 'wampctl.error.cluster_unavailable',
  /** wampctl: a router-side procedure failed unexpectedly (a bug: the router logs it). */
  internal: 'wampctl.error.internal',
} as const

export const CloseUri = {
  systemShutdown: 'wamp.close.system_shutdown',
  closeRealm: 'wamp.close.close_realm',
  goodbyeAndOut: 'wamp.close.goodbye_and_out',
  normal: 'wamp.close.normal',
  killed: 'wamp.close.killed',
} as const

/** wampctl: UNREGISTERED reasons when the router removes a callee on an operator's request. */
export const CalleeRemovalUri = {
  /** A drain finished: the callee's last call ended. */
  drained: 'wampctl.drained',
  /** `wampctl evict` without --reason. */
  evicted: 'wampctl.evicted',
} as const
