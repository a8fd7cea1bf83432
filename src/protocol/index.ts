export * from './message-codes.js'
export * from './error-uris.js'
export * from './extensions.js'
export * from './rollout.js'
