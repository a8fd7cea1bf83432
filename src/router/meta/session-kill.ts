import type { Realm } from '../realm.js'
import type { Session } from '../session.js'

/** Which sessions a wamp.session.kill* call closes. */
export type SessionSelector = { id: number } | { authid: string } | { authrole: string } | { all: true }

/** The realm's sessions on this router that `select` names, `except` (the caller) left out. */
export function localVictims(realm: Realm, select: SessionSelector, except: number | undefined): Session[] {
  if ('id' in select) {
    const s = realm.sessions.get(select.id)
    return s === undefined || s.id === except ? [] : [s]
  }
  const all = [...realm.sessions.values()].filter((s) => s.id !== except)
  if ('authid' in select) return all.filter((s) => s.authid === select.authid)
  if ('authrole' in select) return all.filter((s) => s.authrole === select.authrole)
  return all
}

/** Close `s`: it leaves the realm (quietly for kill_all: no meta events), then GOODBYE with `reason`. */
export function killSession(realm: Realm, s: Session, reason: string, message: string | undefined, quiet: boolean): void {
  realm.leave(s, quiet)
  s.transport.goodbye(reason, message)
}
