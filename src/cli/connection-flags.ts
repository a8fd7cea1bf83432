import type { FlagSpecs } from './flag-spec.js'

/** Where and as whom to connect: the flags of every command that talks to a router (see resolveConnection). */
export const CONNECTION_FLAGS = {
  url: {
    kind: 'string',
    description: 'router WebSocket URL [default: from the context, else ws://127.0.0.1:8080/ws]',
    env: 'WAMPCTL_URL',
    helpGroup: 'CONNECTION',
  },
  realm: {
    kind: 'string',
    description: 'realm to join [default: from the context, else realm1]',
    env: 'WAMPCTL_REALM',
    helpGroup: 'CONNECTION',
  },
  authid: { kind: 'string', description: 'authentication id', env: 'WAMPCTL_AUTHID', helpGroup: 'CONNECTION' },
  secret: { kind: 'string', description: 'WAMP-CRA secret for --authid', env: 'WAMPCTL_SECRET', helpGroup: 'CONNECTION' },
  ticket: { kind: 'string', description: 'ticket for --authid (ticket authentication)', env: 'WAMPCTL_TICKET', helpGroup: 'CONNECTION' },
  context: {
    kind: 'string',
    description: 'named context from the config dir [default: the current one]',
    env: 'WAMPCTL_CONTEXT',
    helpGroup: 'CONNECTION',
  },
} as const satisfies FlagSpecs
