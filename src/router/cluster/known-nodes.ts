import { KeyPrefix, markKey } from './keys.js'
import type { Membership } from './membership.js'
import type { RealmCluster } from './realm-cluster.js'
import type { MarkRecord } from './records.js'
import { unpack } from './wire.js'

/**
 * Every node that joined a realm left its replica marker (`mark.<node>`) in the realm's bucket.
 * Membership expects each of them to beat: one that does not within the node timeout is declared
 * down, so that what a node which died while no other node watched left behind is removed too.
 * Once a node is down for good (no new life of it beats), its marker goes, so it is not expected again.
 */
export function trackKnownNodes(rc: RealmCluster, membership: Membership): void {
  const marks = new Map<string, { incarnation: string; revision: number }>()
  rc.replica.handle(KeyPrefix.mark, {
    apply(key, value, revision) {
      const node = key.slice(KeyPrefix.mark.length + 1)
      if (value === undefined) {
        marks.delete(node)
        return
      }
      const mark = unpack<MarkRecord>(value)
      marks.set(node, { incarnation: mark.incarnation, revision })
      membership.expect(node, mark.incarnation)
    },
  })
  membership.onNodeDown(async (node, incarnation) => {
    const mark = marks.get(node)
    if (mark === undefined || mark.incarnation !== incarnation || membership.alive(node) || !rc.link.connected) return
    // Compare-and-set: every survivor tries, one deletes; a new life's marker is never removed.
    await rc.kv.delete(markKey(node), { previousSeq: mark.revision }).catch(() => undefined)
  })
}
