/** The Testament meta API (WAMP spec, "Testament"): procedures, scopes and the feature key. */
export const TestamentUri = {
  add: 'wamp.session.add_testament',
  flush: 'wamp.session.flush_testaments',
} as const

/** When a testament is published: the session detached (transport gone) or destroyed (session gone). */
export type TestamentScope = 'detached' | 'destroyed'

export const TESTAMENT_SCOPES: readonly TestamentScope[] = ['detached', 'destroyed']

/** Announced in WELCOME.Details.roles.dealer.features. */
export const TESTAMENT_FEATURE = 'testament_meta_api'
