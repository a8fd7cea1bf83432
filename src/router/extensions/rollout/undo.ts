import type { CanarySpec, RolloutRecord, UndoResult } from '../../../protocol/rollout.js'
import { RolloutRefusedError } from '../../errors.js'
import type { Realm } from '../../realm.js'
import { calleeOfSession } from './record.js'
import { restoreStart } from './restore.js'

interface UndoHost {
  readonly realm: Realm
  emit(record: RolloutRecord, event: { event: 'undone'; by: string; restored: UndoResult['restored']; canary: UndoResult['canary'] }): void
}

/**
 * Shift the traffic of a promoted canary rollout back to the previous version: its old callees,
 * if still registered (`--on-success keep`), get their starting weights and states back, and the
 * canary ends as a rollback leaves it (weight 0, cordoned). Refused, saying why, otherwise.
 */
export async function undoRollout(host: UndoHost, last: RolloutRecord, by: string): Promise<UndoResult> {
  const uri = last.uri
  if (last.kind !== 'canary')
    throw new RolloutRefusedError(`the last rollout of ${uri} was a replace: its old callees were unregistered; nothing to shift back to`)
  if (last.undone !== null)
    throw new RolloutRefusedError(`the last rollout of ${uri} was undone already (${last.undone.at} by ${last.undone.by})`)
  if (last.outcome !== 'promoted') {
    throw new RolloutRefusedError(`the last rollout of ${uri} ended ${last.outcome}, not promoted: the previous version serves already`)
  }
  const reg = host.realm.dealer.byId.get(last.registration)
  const present = last.old.filter((o) => reg !== undefined && calleeOfSession(reg.callees, o.session) !== undefined)
  if (present.length === 0) {
    const retired = last.old.filter((o) => last.retired.includes(o.session)).map((o) => o.session)
    const why =
      retired.length > 0
        ? `they were retired when the canary was promoted (sessions ${retired.join(', ')}); roll out with --on-success keep to keep them for undo, or start the previous version again and roll it out`
        : `they left (sessions ${last.old.map((o) => o.session).join(', ') || 'none'}); start the previous version again and roll it out`
    throw new RolloutRefusedError(`cannot undo the rollout of ${uri}: none of the previous version's callees is still registered: ${why}`)
  }
  const canary = last.canary
  const r = await restoreStart(host.realm, reg, last.old, canary?.session ?? null, (last.spec as CanarySpec).drain_timeout_ms)
  const result: UndoResult = {
    uri,
    id: last.id,
    restored: r.restored,
    canary: r.canaryOut && canary !== null ? { session: canary.session, authid: canary.authid } : null,
  }
  last.undone = { at: new Date().toISOString(), by }
  last.updated_at = last.undone.at
  host.emit(last, { event: 'undone', by, restored: result.restored, canary: result.canary })
  return result
}
