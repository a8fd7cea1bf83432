import { createPublicKey, randomBytes, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { ErrorUri } from '../protocol/error-uris.js'
import type { AuthStep } from './authenticator.js'
import { HandshakeError } from './errors.js'
import type { Dict } from './inbound.js'

export interface CryptosignPrincipal {
  role: string
  /** Ed25519 public keys (32 bytes, hex) this principal may authenticate with. */
  pubkeys: string[]
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const HEX_KEY = /^[0-9a-fA-F]{64}$/

/** A raw 32-byte Ed25519 public key (hex) as a key object for crypto.verify. */
export function ed25519PublicKey(hex: string): KeyObject {
  if (!HEX_KEY.test(hex)) throw new Error('an Ed25519 public key is 32 bytes, written as 64 hex digits')
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]), format: 'der', type: 'spki' })
}

/**
 * WAMP-Cryptosign client authentication (spec, "Cryptosign-based Authentication"), without TLS
 * channel binding (a client asking for it gets `channel_binding: null`, as the spec allows): the
 * client announces its public key in HELLO.Details.authextra.pubkey (and may name its authid),
 * signs the 32 random bytes of CHALLENGE.Extra.challenge with Ed25519, and answers with
 * hex(signature ‖ challenge). The principal is found by authid or, without one, by public key.
 */
export function cryptosign(principals: Record<string, CryptosignPrincipal>, authid: string | undefined, authextra: unknown): AuthStep {
  const pubkey = authextra !== null && typeof authextra === 'object' ? (authextra as Dict).pubkey : undefined
  if (typeof pubkey !== 'string' || !HEX_KEY.test(pubkey)) {
    throw new HandshakeError(
      ErrorUri.authenticationFailed,
      'cryptosign authentication needs HELLO.Details.authextra.pubkey (32 bytes, hex)',
    )
  }
  const key = pubkey.toLowerCase()
  const holds = (id: string): boolean => Object.hasOwn(principals, id) && principals[id]!.pubkeys.some((k) => k.toLowerCase() === key)
  const id = authid !== undefined ? (holds(authid) ? authid : undefined) : Object.keys(principals).find(holds)
  const challenge = randomBytes(32)
  return {
    kind: 'challenge',
    method: 'cryptosign',
    extra: { challenge: challenge.toString('hex'), channel_binding: null },
    verify: (signature) => {
      // Same answer for an unknown key or authid and a bad signature: do not reveal which principals exist.
      // Refused credentials are authentication_denied (spec), as for ticket and WAMP-CRA.
      if (id === undefined || !validSignature(key, challenge, signature)) {
        throw new HandshakeError(ErrorUri.authenticationDenied, 'cryptosign authentication failed')
      }
      return { authid: id, authrole: principals[id]!.role, authmethod: 'cryptosign', authprovider: 'static', authextra: { pubkey: key } }
    },
  }
}

/** hex(64-byte Ed25519 signature ‖ the 32-byte challenge), the signature valid for `pubkey`. */
function validSignature(pubkey: string, challenge: Buffer, answer: string): boolean {
  if (!/^[0-9a-fA-F]{192}$/.test(answer)) return false
  const bytes = Buffer.from(answer, 'hex')
  if (!timingSafeEqual(bytes.subarray(64), challenge)) return false
  return verify(null, challenge, ed25519PublicKey(pubkey), bytes.subarray(0, 64))
}
