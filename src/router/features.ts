import { TESTAMENT_FEATURE } from '../protocol/testament.js'

/**
 * The roles and features announced in WELCOME: exactly what this router implements.
 * (Call rerouting via wamp.error.unavailable is implemented but has no feature key in the spec.)
 */
export function welcomeRoles(extensions: boolean): Record<string, unknown> {
  return {
    broker: {
      features: {
        pattern_based_subscription: true,
        subscription_meta_api: true,
        session_meta_api: true,
        publisher_exclusion: true,
        publisher_identification: true,
        subscriber_blackwhite_listing: true,
      },
    },
    dealer: {
      features: {
        shared_registration: true,
        pattern_based_registration: true,
        registration_meta_api: true,
        session_meta_api: true,
        call_canceling: true,
        call_timeout: true,
        progressive_call_results: true,
        caller_identification: true,
        registration_revocation: true,
        [TESTAMENT_FEATURE]: true,
        ...(extensions
          ? {
              x_wampctl_operations: true,
              // docs/routing.md: REGISTER concurrency (+ call queue), invoke least_loaded, CALL rkey.
              x_wampctl_concurrency: true,
              x_wampctl_least_loaded: true,
              x_wampctl_rkey: true,
            }
          : {}),
      },
    },
  }
}
