import type { Session } from './session.js'
import type { MatchPolicy } from './uri.js'

export type Action = 'call' | 'register' | 'publish' | 'subscribe'
export const ACTIONS: readonly Action[] = ['call', 'register', 'publish', 'subscribe']

/** One URI rule of a role: the actions it allows on URIs matching (uri, match). */
export interface Permission {
  uri: string
  match?: MatchPolicy
  allow: Action[]
}

export interface RoleConfig {
  /** May call the mutating meta procedures (kill, remove_callee, cordon, drain, set_weight). */
  admin?: boolean
  permissions?: Permission[]
}

/**
 * Per-realm authorization: a role's URI rules decide call/register/publish/subscribe; mutating
 * meta procedures need an admin role. A session's "allowed on every URI" verdicts are computed
 * once when it joins, so the hot path costs one property read.
 */
export class Authorizer {
  constructor(private readonly roles: Record<string, RoleConfig>) {}

  hasRole(role: string): boolean {
    return Object.hasOwn(this.roles, role)
  }

  /** Fill in the session's cached verdicts. */
  prepare(session: Session): void {
    const role = this.roles[session.authrole]
    session.admin = role?.admin === true
    for (const action of ACTIONS) {
      session.allowAll[action] =
        session.admin ||
        (role?.permissions ?? []).some((p) => p.allow.includes(action) && (p.match ?? 'exact') === 'prefix' && p.uri === '')
    }
  }

  may(session: Session, action: Action, uri: string): boolean {
    if (session.allowAll[action]) return true
    const role = this.roles[session.authrole]
    if (role === undefined) return false
    for (const p of role.permissions ?? []) {
      if (!p.allow.includes(action)) continue
      const match = p.match ?? 'exact'
      if (match === 'exact' ? uri === p.uri : match === 'prefix' ? uri.startsWith(p.uri) : wildcard(p.uri, uri)) return true
    }
    return false
  }
}

function wildcard(pattern: string, uri: string): boolean {
  const a = pattern.split('.')
  const b = uri.split('.')
  return a.length === b.length && a.every((p, i) => p === '' || p === b[i])
}
