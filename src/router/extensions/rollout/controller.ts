import {
  RolloutUri,
  type CanarySpec,
  type RolloutEvent,
  type RolloutRecord,
  type RolloutSpec,
  type RolloutUpdate,
} from '../../../protocol/rollout.js'
import { NoSuchRegistrationError, NoSuchRolloutError, RolloutRefusedError } from '../../errors.js'
import type { Realm } from '../../realm.js'
import type { Registration } from '../../registration.js'
import type { Session } from '../../session.js'
import { CanaryRun } from './canary-run.js'
import { ProbeCaller } from './probe.js'
import { calleeRecord, newRecord } from './record.js'
import { ReplaceRun } from './replace-run.js'
import type { RolloutRun, RunHost } from './run.js'
import { undoRollout } from './undo.js'
import { activeWeight } from './weights.js'

/** Finished rollouts kept per URI (`rollout history`, `undo`). */
export const HISTORY_PER_URI = 10

/**
 * The rollouts of one realm: at most one running per URI, and the last finished ones per URI.
 * It alone owns the records; runs change their own record and report through `emit`.
 */
export class RolloutController implements RunHost {
  readonly probe: ProbeCaller
  private readonly running = new Map<string, RolloutRun>()
  private readonly history = new Map<string, RolloutRecord[]>()

  constructor(readonly realm: Realm) {
    this.probe = new ProbeCaller(realm)
  }

  /**
   * Check everything (one rollout per URI, the registration, the canary, something to fall back
   * on) before recording anything: a refused start leaves no state behind.
   */
  start(spec: RolloutSpec, by: Session): RolloutRecord {
    if (this.running.has(spec.uri)) {
      const r = this.running.get(spec.uri)!.record
      throw new RolloutRefusedError(
        `a ${r.kind} rollout of ${spec.uri} started by ${r.started_by.authid} at ${r.started_at} is ${r.status}: 'wampctl rollout status ${spec.uri}', or 'wampctl rollout abort ${spec.uri}'`,
      )
    }
    const reg = this.registrationOf(spec.uri)
    if (spec.kind === 'replace') {
      const isNew = (authid: string): boolean => spec.new_authid !== null && authid === spec.new_authid
      const old = reg.callees.filter((c) => !isNew(c.session.authid)).map(calleeRecord)
      return this.launch(new ReplaceRun(this, newRecord(this.realm.name, spec, reg.id, by, old, null)))
    }
    if (reg.invoke !== 'roundrobin' && reg.invoke !== 'random') {
      throw new RolloutRefusedError(
        `cannot run a canary rollout of ${reg.uri}: its registration uses invoke '${reg.invoke}', and traffic weights steer only 'roundrobin' and 'random' registrations`,
      )
    }
    const canary = pickCanary(reg, spec)
    const old = reg.callees.filter((c) => c !== canary).map(calleeRecord)
    if (activeWeight(old) === 0) {
      throw new RolloutRefusedError(
        `no callee of ${reg.uri} besides the canary takes calls (active with a weight above 0): there is nothing to compare the canary with or to fall back on`,
      )
    }
    if (canary !== undefined && canary.state !== 'active') {
      throw new RolloutRefusedError(
        `the canary (session ${canary.session.id}) is ${canary.state} on ${reg.uri}: 'wampctl uncordon ${canary.session.id}' first, or start a fresh instance`,
      )
    }
    const record = newRecord(this.realm.name, spec, reg.id, by, old, canary === undefined ? null : calleeRecord(canary))
    return this.launch(new CanaryRun(this, record))
  }

  private launch(run: RolloutRun): RolloutRecord {
    const r = run.record
    this.running.set(r.uri, run)
    this.emit(r, { event: 'started', spec: r.spec, by: r.started_by.authid })
    return r
  }

  /** The running rollout of `uri`, else its last finished one. */
  status(uri: string): RolloutRecord {
    const r = this.running.get(uri)?.record ?? this.history.get(uri)?.[0]
    if (r === undefined) throw new NoSuchRolloutError(`no rollout of ${uri} is running or recorded on this router`)
    return r
  }

  list(): RolloutRecord[] {
    return [...this.running.values()].map((r) => r.record)
  }

  historyOf(uri: string | null): RolloutRecord[] {
    if (uri !== null) return [...(this.history.get(uri) ?? [])]
    return [...this.history.values()].flat().sort((a, b) => (a.started_at < b.started_at ? 1 : -1))
  }

  /** The running rollout of `uri`, or no_such_rollout saying what happened to the last one. */
  runningOf(uri: string): RolloutRun {
    const run = this.running.get(uri)
    if (run !== undefined) return run
    const last = this.history.get(uri)?.[0]
    throw new NoSuchRolloutError(
      last === undefined
        ? `no rollout of ${uri} is running`
        : `no rollout of ${uri} is running; the last one ended ${last.outcome} at ${last.ended_at}${last.reason === null ? '' : ` (${last.reason})`}`,
    )
  }

  async abort(uri: string, by: Session): Promise<RolloutRecord> {
    const run = this.runningOf(uri)
    await run.abort(by.authid)
    return run.record
  }

  undo(uri: string, by: Session): ReturnType<typeof undoRollout> {
    if (this.running.has(uri))
      throw new RolloutRefusedError(`a rollout of ${uri} is running: 'wampctl rollout abort ${uri}' restores its starting weights`)
    const last = this.history.get(uri)?.[0]
    if (last === undefined) throw new NoSuchRolloutError(`no finished rollout of ${uri} is recorded on this router: nothing to undo`)
    return undoRollout(this, last, by.authid)
  }

  // ── RunHost ──────────────────────────────────────────────────────────────────────────────

  emit(record: RolloutRecord, event: RolloutEvent): void {
    const update: RolloutUpdate = { id: record.id, uri: record.uri, at: record.updated_at, event, rollout: record }
    this.realm.publishMeta(RolloutUri.onUpdate, [update])
  }

  wantsSamples(): boolean {
    return this.realm.broker.hasSubscribers(RolloutUri.onUpdate)
  }

  finished(record: RolloutRecord): void {
    if (this.running.get(record.uri)?.record === record) this.running.delete(record.uri)
    const list = this.history.get(record.uri) ?? []
    list.unshift(record)
    this.history.set(record.uri, list.slice(0, HISTORY_PER_URI))
  }

  /** The router is closing: stop every run where it is. */
  dispose(): void {
    for (const run of this.running.values()) run.dispose()
  }

  private registrationOf(uri: string): Registration {
    const reg = this.realm.dealer.index.get(uri, 'exact') ?? this.realm.dealer.index.best(uri)
    if (reg === undefined) throw new NoSuchRegistrationError(uri)
    return reg
  }
}

function pickCanary(reg: Registration, spec: CanarySpec): Registration['callees'][number] | undefined {
  const sel = spec.canary
  if ('session' in sel) return reg.callees.find((c) => c.session.id === sel.session)
  const matches = reg.callees.filter((c) => c.session.authid === sel.authid)
  if (matches.length > 1) {
    throw new RolloutRefusedError(
      `${matches.length} callees of ${reg.uri} have authid '${sel.authid}' (sessions ${matches.map((c) => c.session.id).join(', ')}): pick one with --canary SESSION`,
    )
  }
  return matches[0]
}
