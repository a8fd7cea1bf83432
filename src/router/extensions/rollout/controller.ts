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
import type { RolloutOwner, RolloutStore, SteerVerb } from './store.js'
import { undoRollout } from './undo.js'
import { activeWeight } from './weights.js'

/** Finished rollouts kept per URI (`rollout history`, `undo`). */
export const HISTORY_PER_URI = 10

/** The controller of each realm with the extensions on: a cluster node's store finds it here to take rollouts over. */
const controllers = new WeakMap<Realm, RolloutController>()

export function rolloutOwnerOf(realm: Realm): RolloutOwner | undefined {
  return controllers.get(realm)
}

/**
 * The rollouts of one realm: at most one running per URI, and the last finished ones per URI.
 * It alone owns the records of the rollouts it runs; runs change their own record and report
 * through `emit`. On a cluster node (`realm.cluster.rollouts`, a RolloutStore) the records of
 * every node's rollouts live in the realm's KV bucket: this node runs the ones it owns, writes
 * each change there, reads the others' there, forwards steering to their node, and takes over
 * those of a node that went down or stopped (docs/rollout.md, "On a cluster").
 */
export class RolloutController implements RunHost, RolloutOwner {
  readonly probe: ProbeCaller
  private readonly running = new Map<string, RolloutRun>()
  private readonly history = new Map<string, RolloutRecord[]>()

  constructor(readonly realm: Realm) {
    this.probe = new ProbeCaller(realm)
    controllers.set(realm, this)
  }

  /** The cluster's store of rollouts; undefined on a single router (rollouts in memory). */
  private get store(): RolloutStore | undefined {
    return this.realm.cluster?.rollouts
  }

  /**
   * Check everything (one rollout per URI, the registration, the canary, something to fall back
   * on) before recording anything: a refused start leaves no state behind. A cluster node claims
   * the URI in the store first (one rollout per URI across the nodes), then runs it.
   */
  start(spec: RolloutSpec, by: Session): RolloutRecord | Promise<RolloutRecord> {
    const running = this.running.get(spec.uri)?.record ?? this.store?.of(spec.uri)?.running ?? undefined
    if (running !== undefined) throw alreadyRunning(running)
    const store = this.store
    const run = this.prepare(spec, by)
    if (store === undefined) return this.launch(run())
    const record = run.record
    return store.claim(record).then(() => {
      if (this.running.has(spec.uri)) throw alreadyRunning(this.running.get(spec.uri)!.record)
      return this.launch(run())
    })
  }

  /** The run of `spec`, checked and ready to go (its record made; `record` is it before the run exists). */
  private prepare(spec: RolloutSpec, by: Session): { (): RolloutRun; record: RolloutRecord } {
    const reg = this.registrationOf(spec.uri)
    if (spec.kind === 'replace') {
      const isNew = (authid: string): boolean => spec.new_authid !== null && authid === spec.new_authid
      const old = reg.callees.filter((c) => !isNew(c.session.authid)).map(calleeRecord)
      const record = newRecord(this.realm.name, spec, reg.id, by, old, null)
      return Object.assign(() => new ReplaceRun(this, record), { record })
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
    return Object.assign(() => new CanaryRun(this, record), { record })
  }

  private launch(run: RolloutRun): RolloutRecord {
    const r = run.record
    this.running.set(r.uri, run)
    this.emit(r, { event: 'started', spec: r.spec, by: r.started_by.authid })
    return r
  }

  /** The running rollout of `uri`, else its last finished one. */
  status(uri: string): RolloutRecord {
    const stored = this.store?.of(uri)
    const r = this.running.get(uri)?.record ?? stored?.running ?? this.historyOf(uri)[0]
    if (r === undefined) throw new NoSuchRolloutError(`no rollout of ${uri} is running or recorded on this router`)
    return r
  }

  list(): RolloutRecord[] {
    const here = [...this.running.values()].map((r) => r.record)
    const store = this.store
    if (store === undefined) return here
    const others = [...store.all()].flatMap((s) => (s.running !== null && !this.running.has(s.running.uri) ? [s.running] : []))
    return [...here, ...others]
  }

  historyOf(uri: string | null): RolloutRecord[] {
    const store = this.store
    if (store !== undefined) {
      if (uri !== null) return [...(store.of(uri)?.history ?? [])]
      return [...store.all()].flatMap((s) => s.history).sort((a, b) => (a.started_at < b.started_at ? 1 : -1))
    }
    if (uri !== null) return [...(this.history.get(uri) ?? [])]
    return [...this.history.values()].flat().sort((a, b) => (a.started_at < b.started_at ? 1 : -1))
  }

  /** The running rollout of `uri`, or no_such_rollout saying what happened to the last one. */
  runningOf(uri: string): RolloutRun {
    const run = this.running.get(uri)
    if (run !== undefined) return run
    const last = this.historyOf(uri)[0]
    throw new NoSuchRolloutError(
      last === undefined
        ? `no rollout of ${uri} is running`
        : `no rollout of ${uri} is running; the last one ended ${last.outcome} at ${last.ended_at}${last.reason === null ? '' : ` (${last.reason})`}`,
    )
  }

  /**
   * pause, resume, promote, abort: on the run here, or — a cluster node that does not run it —
   * sent to the node that does (the record after it comes back from there).
   */
  steer(verb: SteerVerb, uri: string, by: Session, full = false): RolloutRecord | Promise<RolloutRecord> {
    const store = this.store
    if (store === undefined || this.running.has(uri)) return this.steerLocal(verb, uri, by.authid, full)
    const owner = store.of(uri)?.owner ?? null
    const running = store.of(uri)?.running ?? null
    if (running === null) this.runningOf(uri) // no_such_rollout, saying how the last one ended
    if (owner === null || owner === store.node || !store.alive(owner)) {
      const why =
        owner === null ? 'its node stopped' : owner === store.node ? 'this node is handing it on' : `node ${owner}, which ran it, is down`
      throw new RolloutRefusedError(`the rollout of ${uri} is being taken over by another node (${why}): try again in a moment`)
    }
    return store.steer(owner, verb, uri, by.authid, full)
  }

  private steerLocal(verb: SteerVerb, uri: string, by: string, full: boolean): RolloutRecord | Promise<RolloutRecord> {
    const run = this.runningOf(uri)
    if (verb === 'abort') return run.abort(by).then(() => run.record)
    if (verb === 'pause') run.pause(by)
    else if (verb === 'resume') run.resume(by)
    else run.promote(by, full)
    return run.record
  }

  async abort(uri: string, by: Session): Promise<RolloutRecord> {
    return this.steer('abort', uri, by)
  }

  undo(uri: string, by: Session): ReturnType<typeof undoRollout> {
    if (this.running.has(uri) || (this.store?.of(uri)?.running ?? null) !== null)
      throw new RolloutRefusedError(`a rollout of ${uri} is running: 'wampctl rollout abort ${uri}' restores its starting weights`)
    const last = this.historyOf(uri)[0]
    if (last === undefined) throw new NoSuchRolloutError(`no finished rollout of ${uri} is recorded on this router: nothing to undo`)
    // The store's copy is the replica's: undo changes its own (written back through emit).
    return undoRollout(this, this.store === undefined ? last : structuredClone(last), by.authid)
  }

  // ── RolloutOwner (a cluster node's store) ────────────────────────────────────────────────

  adopt(record: RolloutRecord, why: string): void {
    if (this.running.has(record.uri)) return
    const run = record.kind === 'canary' ? new CanaryRun(this, record, true) : new ReplaceRun(this, record, true)
    this.running.set(record.uri, run)
    this.emit(record, {
      event: 'note',
      message: `taken over by node ${this.store?.node ?? '?'}: ${why}; it goes on from step ${record.step ?? '-'} (${record.status})`,
    })
  }

  steerHere(verb: SteerVerb, uri: string, by: string, full: boolean): Promise<RolloutRecord> {
    return Promise.resolve(this.steerLocal(verb, uri, by, full))
  }

  lost(uri: string, id: string): boolean {
    const run = this.running.get(uri)
    if (run === undefined || run.record.id !== id) return false
    this.running.delete(uri)
    run.release()
    return true
  }

  // ── RunHost ──────────────────────────────────────────────────────────────────────────────

  emit(record: RolloutRecord, event: RolloutEvent): void {
    const update: RolloutUpdate = { id: record.id, uri: record.uri, at: record.updated_at, event, rollout: record }
    this.realm.publishMeta(RolloutUri.onUpdate, [update])
    this.store?.changed(record, event)
  }

  saved(record: RolloutRecord): void {
    this.store?.changed(record, null)
  }

  wantsSamples(): boolean {
    return this.realm.broker.hasSubscribers(RolloutUri.onUpdate) || (this.store?.remoteWatchers() ?? false)
  }

  finished(record: RolloutRecord): void {
    if (this.running.get(record.uri)?.record === record) this.running.delete(record.uri)
    const store = this.store
    if (store !== undefined) return store.finished(record)
    const list = this.history.get(record.uri) ?? []
    list.unshift(record)
    this.history.set(record.uri, list.slice(0, HISTORY_PER_URI))
  }

  /**
   * The router is closing: stop every run where it is. A cluster node hands its rollouts over
   * instead: they stop here without ending, and another node takes them over from their records.
   */
  dispose(): Promise<void> {
    const store = this.store
    const runs = [...this.running.values()]
    this.running.clear()
    if (store === undefined) {
      for (const run of runs) run.dispose()
      return Promise.resolve()
    }
    for (const run of runs) run.release()
    return store.handOver(runs.map((r) => r.record))
  }

  private registrationOf(uri: string): Registration {
    const reg = this.realm.dealer.index.get(uri, 'exact') ?? this.realm.dealer.index.best(uri)
    if (reg === undefined) throw new NoSuchRegistrationError(uri)
    return reg
  }
}

function alreadyRunning(r: RolloutRecord): RolloutRefusedError {
  return new RolloutRefusedError(
    `a ${r.kind} rollout of ${r.uri} started by ${r.started_by.authid} at ${r.started_at} is ${r.status}: 'wampctl rollout status ${r.uri}', or 'wampctl rollout abort ${r.uri}'`,
  )
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
