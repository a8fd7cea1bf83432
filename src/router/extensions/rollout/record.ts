import type { CalleeRecord, RolloutRecord, RolloutSpec } from '../../../protocol/rollout.js'
import type { Callee } from '../../registration.js'
import type { Session } from '../../session.js'

/** A callee as a rollout records it before changing anything. */
export function calleeRecord(c: Callee): CalleeRecord {
  return { session: c.session.id, authid: c.session.authid, weight: c.weight, state: c.state }
}

/** A fresh record for a rollout about to start (plain JSON: a cluster can keep it elsewhere). */
export function newRecord(
  realm: string,
  spec: RolloutSpec,
  registration: number,
  by: Session,
  old: CalleeRecord[],
  canary: CalleeRecord | null,
): RolloutRecord {
  const now = new Date().toISOString()
  return {
    version: 1,
    id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    kind: spec.kind,
    realm,
    uri: spec.uri,
    registration,
    started_by: { session: by.id, authid: by.authid, authrole: by.authrole },
    started_at: now,
    updated_at: now,
    ended_at: null,
    status: 'waiting',
    outcome: null,
    reason: null,
    spec,
    canary,
    old,
    step: null,
    percent: null,
    canary_weight: null,
    next_check_at: null,
    paused: null,
    last_gate: null,
    steps: [],
    new_sessions: [],
    retired: [],
    kept: [],
    undone: null,
  }
}

/** The callee of `session` among `callees`, if it is one. */
export function calleeOfSession(callees: readonly Callee[], session: number): Callee | undefined {
  return callees.find((c) => c.session.id === session)
}
