export { WampClient, type ConnectOptions, type CallOptions, type CallResult, type EventHandler } from './connection.js'
export { MetaClient, type RouterCapabilities } from './meta-client.js'
export * from './errors.js'
export type * from './views.js'
