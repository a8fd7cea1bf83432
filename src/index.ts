/** wampctl as a library: the embedded router and the shared protocol constants. */
export { Router, type ListenOptions } from './router/router.js'
export type { RouterOptions, RealmConfig, RouterConfigFile, Logger } from './router/config.js'
export type { AuthConfig, TicketPrincipal, CraPrincipal } from './router/authenticator.js'
export type { RoleConfig, Permission, Action } from './router/authorizer.js'
export { RouterError, RouterConfigError } from './router/errors.js'
export * from './protocol/index.js'
