import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import autobahn from 'autobahn'

/** An Ed25519 key pair for WAMP-Cryptosign tests, in the shapes the clients want. */
export interface CryptosignKey {
  /** Raw 32-byte public key, hex (the config's `pubkeys`, HELLO authextra.pubkey). */
  pubkey: string
  /** Raw 32-byte seed, hex (what python's nacl SigningKey takes). */
  seed: string
  privateKey: KeyObject
  /** The NaCl key pair autobahn-js signs with (secretKey = seed ‖ public key). */
  nacl: { publicKey: Uint8Array; secretKey: Uint8Array }
}

export function cryptosignKey(): CryptosignKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32)
  return {
    pubkey: pub.toString('hex'),
    seed: seed.toString('hex'),
    privateKey,
    nacl: { publicKey: new Uint8Array(pub), secretKey: new Uint8Array(Buffer.concat([seed, pub])) },
  }
}

/** The AUTHENTICATE signature, computed with Node's crypto: hex(Ed25519 signature ‖ challenge). */
export function signChallenge(key: CryptosignKey, challengeHex: string): string {
  const challenge = Buffer.from(challengeHex, 'hex')
  return Buffer.concat([sign(null, challenge, key.privateKey), challenge]).toString('hex')
}

/** The same, computed by autobahn-js (autobahn.auth_cryptosign.sign_challenge, tweetnacl). */
export function autobahnSignChallenge(key: CryptosignKey, extra: unknown): string {
  const cs = (autobahn as unknown as { auth_cryptosign: { sign_challenge(pkey: unknown, extra: unknown): string } }).auth_cryptosign
  return cs.sign_challenge(key.nacl, extra)
}
