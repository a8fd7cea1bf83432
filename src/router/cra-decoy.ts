import { createHmac, randomBytes } from 'node:crypto'
import type { CraPrincipal } from './authenticator.js'

/** Per process: decoys are stable for an authid while the router runs, and unguessable. */
const DECOY_KEY = randomBytes(32)

/**
 * The principal a WAMP-CRA challenge is built from. For an authid nobody configured, a decoy
 * indistinguishable from a real principal: the role, iterations and key length of a configured
 * principal picked by a keyed hash of the authid, a salt (when that one is salted) derived the
 * same way, and a random secret nobody can answer. Stable per authid, as a real principal's
 * challenge is, so asking twice reveals nothing; verifying it costs the same work.
 */
export function craPrincipalOrDecoy(principals: Record<string, CraPrincipal>, authid: string): { principal: CraPrincipal; real: boolean } {
  if (Object.hasOwn(principals, authid)) return { principal: principals[authid]!, real: true }
  const mac = createHmac('sha256', DECOY_KEY).update(authid).digest()
  const configured = Object.values(principals)
  const model = configured[mac.readUInt32BE(0) % Math.max(configured.length, 1)]
  const decoy: CraPrincipal = { secret: randomBytes(32).toString('base64'), role: model?.role ?? 'anonymous' }
  if (model?.salt !== undefined) {
    decoy.salt = mac
      .subarray(4, 4 + Math.max(Buffer.from(model.salt).length, 8))
      .toString('base64')
      .slice(0, model.salt.length)
    decoy.iterations = model.iterations
    decoy.keylen = model.keylen
  }
  return { principal: decoy, real: false }
}
