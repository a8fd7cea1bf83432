import type { AuthConfig } from './authenticator.js'
import type { Identity } from './session.js'

/**
 * How an anonymous session's authid is chosen (realm `auth.anonymous.authid`):
 * - 'claimed' (default): the client's HELLO.Details.authid is its authid, so instances keep the
 *   readable names operators address them by (`wampctl drain demo-add-2`), EXCEPT a claim naming
 *   one of the realm's principals (ticket, wampcra, any method): that session gets a router name,
 *   as with 'assigned'. An anonymous session can never carry a principal's authid, so it cannot
 *   receive the events published for one (eligible_authid) or be disclosed under its name.
 * - 'assigned': every anonymous session is named `anonymous-<session id>` by the router.
 * Whenever the router names a session that claimed an authid, the claim is kept apart as
 * `authextra.claimed_authid` (WELCOME and the session's meta details).
 */
export type AnonymousAuthids = 'assigned' | 'claimed'

/** Whether `authid` is a principal of any method in the realm's auth configuration. */
export function isPrincipal(auth: AuthConfig, authid: string): boolean {
  for (const [method, principals] of Object.entries(auth)) {
    if (method === 'anonymous' || principals === null || typeof principals !== 'object') continue
    if (Object.hasOwn(principals as object, authid)) return true
  }
  return false
}

export function anonymousIdentity(auth: AuthConfig, role: string, claimed: string | undefined, sessionId: number): Identity {
  const mode = auth.anonymous === false ? 'assigned' : (auth.anonymous?.authid ?? 'claimed')
  const keep = claimed !== undefined && mode === 'claimed' && !isPrincipal(auth, claimed)
  const identity: Identity = {
    authid: keep ? claimed : `anonymous-${sessionId}`,
    authrole: role,
    authmethod: 'anonymous',
    authprovider: 'static',
  }
  if (!keep && claimed !== undefined) identity.authextra = { claimed_authid: claimed }
  return identity
}
