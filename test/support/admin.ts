import autobahn from 'autobahn'
import type { RealmConfig } from '../../src/router/config.js'
import { autobahnSession, type SerializerName } from './clients.js'

/**
 * Realms with authenticated principals: anonymous sessions keep their default role; `admin`
 * (ticket) and `operator` (wampcra) get the admin role that mutating meta procedures need.
 */

export const ADMIN_TICKET = 'admin-ticket-secret'
export const CRA_SECRET = 'operator-cra-secret'

export function authRealm(name = 'realm1'): RealmConfig {
  return {
    name,
    auth: {
      anonymous: { role: 'anonymous' },
      ticket: { admin: { ticket: ADMIN_TICKET, role: 'admin' }, alice: { ticket: 'alice-ticket', role: 'anonymous' } },
      wampcra: { operator: { secret: CRA_SECRET, role: 'admin' } },
    },
  }
}

export const craSign = (secret: string, challenge: string): string =>
  (autobahn as unknown as { auth_cra: { sign(key: string, challenge: string): string } }).auth_cra.sign(secret, challenge)

/** An autobahn session authenticated as the ticket admin. */
export function adminSession(url: string, ser: SerializerName = 'json', realm = 'realm1'): Promise<autobahn.Session> {
  return autobahnSession(url, ser, { realm, authid: 'admin', authmethods: ['ticket'], onchallenge: () => ADMIN_TICKET })
}

/** An autobahn session authenticated with WAMP-CRA as `operator` (admin role). */
export function craSession(url: string, ser: SerializerName = 'json', secret = CRA_SECRET): Promise<autobahn.Session> {
  return autobahnSession(url, ser, {
    authid: 'operator',
    authmethods: ['wampcra'],
    onchallenge: (_s, method, extra) => {
      if (method !== 'wampcra') throw new Error(`unexpected challenge ${method}`)
      return craSign(secret, (extra as { challenge: string }).challenge)
    },
  })
}
