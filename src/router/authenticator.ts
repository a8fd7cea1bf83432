import { createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import { ErrorUri } from '../protocol/error-uris.js'
import { cryptosign, type CryptosignPrincipal } from './auth-cryptosign.js'
import { anonymousIdentity, type AnonymousAuthids } from './anonymous-identity.js'
import { craPrincipalOrDecoy } from './cra-decoy.js'
import { HandshakeError } from './errors.js'
import type { Dict } from './inbound.js'
import type { Identity } from './session.js'

export interface TicketPrincipal {
  ticket: string
  role: string
}

export interface CraPrincipal {
  secret: string
  role: string
  /** Salted secrets (PBKDF2-SHA256), as autobahn's auth_cra.derive_key expects. */
  salt?: string
  iterations?: number
  keylen?: number
}

export interface AuthConfig {
  /** Sessions that ask for no authentication (or for "anonymous") get this role; false refuses them. */
  anonymous?: { role: string; authid?: AnonymousAuthids } | false
  ticket?: Record<string, TicketPrincipal>
  wampcra?: Record<string, CraPrincipal>
  /** WAMP-Cryptosign (Ed25519) principals by authid (auth-cryptosign.ts). */
  cryptosign?: Record<string, CryptosignPrincipal>
}

/** Either the session is in, or it must answer a CHALLENGE first. */
export type AuthStep =
  { kind: 'welcome'; identity: Identity } | { kind: 'challenge'; method: string; extra: Dict; verify: (signature: string) => Identity }

/**
 * Anonymous, ticket and WAMP-CRA authentication (WAMP spec, Authentication). The first method in
 * the client's HELLO.authmethods that the realm offers wins.
 */
export function beginAuthentication(config: AuthConfig, details: Dict, sessionId: number): AuthStep {
  const offered = Array.isArray(details.authmethods) ? details.authmethods.filter((m): m is string => typeof m === 'string') : ['anonymous']
  const authid = typeof details.authid === 'string' ? details.authid : undefined
  for (const method of offered.length > 0 ? offered : ['anonymous']) {
    if (method === 'anonymous' && config.anonymous !== false) {
      const role = config.anonymous?.role ?? 'anonymous'
      return { kind: 'welcome', identity: anonymousIdentity(config, role, authid, sessionId) }
    }
    if (method === 'ticket' && config.ticket !== undefined) return ticket(config.ticket, authid)
    if (method === 'wampcra' && config.wampcra !== undefined) return wampcra(config.wampcra, authid, sessionId)
    if (method === 'cryptosign' && config.cryptosign !== undefined) return cryptosign(config.cryptosign, authid, details.authextra)
  }
  throw new HandshakeError(
    ErrorUri.noAuthMethod,
    `none of the offered authentication methods (${offered.join(', ') || 'none'}) is enabled on this realm`,
  )
}

function requireAuthid(authid: string | undefined, method: string): string {
  if (authid === undefined) throw new HandshakeError(ErrorUri.noSuchPrincipal, `${method} authentication needs HELLO.Details.authid`)
  return authid
}

function ticket(principals: Record<string, TicketPrincipal>, authid: string | undefined): AuthStep {
  const id = requireAuthid(authid, 'ticket')
  const principal = Object.hasOwn(principals, id) ? principals[id] : undefined
  return {
    kind: 'challenge',
    method: 'ticket',
    extra: {},
    verify: (signature) => {
      // Same answer for an unknown authid and a wrong ticket: do not reveal which principals exist.
      if (principal === undefined || !sameText(signature, principal.ticket)) {
        throw new HandshakeError(ErrorUri.authenticationDenied, 'ticket authentication failed')
      }
      return { authid: id, authrole: principal.role, authmethod: 'ticket', authprovider: 'static' }
    },
  }
}

function wampcra(principals: Record<string, CraPrincipal>, authid: string | undefined, sessionId: number): AuthStep {
  const id = requireAuthid(authid, 'wampcra')
  // An unknown authid gets a decoy's challenge: nothing in it tells that the principal does not exist.
  const { principal, real } = craPrincipalOrDecoy(principals, id)
  const challenge = JSON.stringify({
    authid: id,
    authrole: principal.role,
    authmethod: 'wampcra',
    authprovider: 'static',
    nonce: randomBytes(16).toString('base64'),
    timestamp: new Date().toISOString(),
    session: sessionId,
  })
  const extra: Dict = { challenge }
  if (principal.salt !== undefined) {
    extra.salt = principal.salt
    extra.iterations = principal.iterations ?? 1000
    extra.keylen = principal.keylen ?? 32
  }
  return {
    kind: 'challenge',
    method: 'wampcra',
    extra,
    verify: (signature) => {
      const key =
        principal.salt === undefined
          ? principal.secret
          : pbkdf2Sync(principal.secret, principal.salt, principal.iterations ?? 1000, principal.keylen ?? 32, 'sha256').toString('base64')
      const expected = createHmac('sha256', key).update(challenge).digest('base64')
      if (!sameText(signature, expected) || !real) throw new HandshakeError(ErrorUri.authenticationDenied, 'wampcra authentication failed')
      return { authid: id, authrole: principal.role, authmethod: 'wampcra', authprovider: 'static' }
    },
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
