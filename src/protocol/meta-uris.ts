/**
 * The WAMP meta API URIs (spec "Session Meta API", "Registration Meta API", "Subscription Meta
 * API"): procedures the router serves and topics it publishes. Shared by the router (which serves
 * and publishes them) and the client, ops and live views (which call and subscribe to them).
 */

export const SessionMeta = {
  count: 'wamp.session.count',
  list: 'wamp.session.list',
  get: 'wamp.session.get',
  kill: 'wamp.session.kill',
  killByAuthid: 'wamp.session.kill_by_authid',
  killByAuthrole: 'wamp.session.kill_by_authrole',
  killAll: 'wamp.session.kill_all',
  onJoin: 'wamp.session.on_join',
  onLeave: 'wamp.session.on_leave',
} as const

export const RegistrationMeta = {
  list: 'wamp.registration.list',
  lookup: 'wamp.registration.lookup',
  match: 'wamp.registration.match',
  get: 'wamp.registration.get',
  listCallees: 'wamp.registration.list_callees',
  countCallees: 'wamp.registration.count_callees',
  removeCallee: 'wamp.registration.remove_callee',
  onCreate: 'wamp.registration.on_create',
  onRegister: 'wamp.registration.on_register',
  onUnregister: 'wamp.registration.on_unregister',
  onDelete: 'wamp.registration.on_delete',
} as const

export const SubscriptionMeta = {
  list: 'wamp.subscription.list',
  lookup: 'wamp.subscription.lookup',
  match: 'wamp.subscription.match',
  get: 'wamp.subscription.get',
  listSubscribers: 'wamp.subscription.list_subscribers',
  countSubscribers: 'wamp.subscription.count_subscribers',
  onCreate: 'wamp.subscription.on_create',
  onSubscribe: 'wamp.subscription.on_subscribe',
  onUnsubscribe: 'wamp.subscription.on_unsubscribe',
  onDelete: 'wamp.subscription.on_delete',
} as const
