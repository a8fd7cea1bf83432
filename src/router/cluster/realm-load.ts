import type { Realm } from '../realm.js'
import type { Session } from '../session.js'
import type { RealmLoad } from './membership.js'

/**
 * This node's load in `realm` for its heartbeat: its own sessions, and the calls its own callees
 * answered per second over their recent windows (sampled by the stats ticker). O(callees), once per heartbeat.
 */
export function realmLoad(realm: Realm, isLocal: (session: Session) => boolean): RealmLoad {
  let sessions = 0
  for (const s of realm.sessions.values()) if (isLocal(s)) sessions++
  const now = Date.now()
  let perS = 0
  for (const reg of realm.dealer.byId.values()) {
    for (const c of reg.callees) {
      if (!isLocal(c.session)) continue
      const r = c.recent.read(c.stats.calls, c.stats.errors, now)
      if (r.window_ms > 0) perS += (r.calls * 1000) / r.window_ms
    }
  }
  return { sessions, calls_per_s: Math.round(perS * 100) / 100 }
}
