import type { CanarySpec, CalleeRecord, RecordedGate, StepRecord, WeightRef } from '../../../protocol/rollout.js'
import { RolloutRefusedError } from '../../errors.js'
import type { Realm } from '../../realm.js'
import type { Callee, Registration } from '../../registration.js'
import { calleeControl, type CalleeControl } from '../callee-state.js'
import { judge, readingsOf, windowStats, type CalleeCounters, type CalleeReading } from './analysis.js'
import { calleeOfSession, calleeRecord } from './record.js'
import { restoreStart } from './restore.js'
import { retireOld } from './retire.js'
import { RolloutRun, Stop } from './run.js'
import { sleep } from './wait.js'
import { activeWeight, canaryWeight } from './weights.js'

const CANARY_POLL_MS = 100

/**
 * A canary rollout run by the router: wait for the canary, move its share of the traffic through
 * the steps with the dealer's weights, judge every check (traffic gates and probe), pause when
 * told or when a pause step says so, and promote it (retiring or keeping the old callees) or roll
 * back once the failure limit is reached. Every transition is published on on_update.
 */
export class CanaryRun extends RolloutRun {
  /** Weights change through the dealer, the one writer of callee state (on a cluster node, through the registry too). */
  private get control(): CalleeControl {
    return calleeControl(this.realm)
  }
  /** Each callee's last reading from its own node (cluster): kept for a check its node does not answer. */
  private readonly lastReadings = new Map<number, CalleeReading>()
  /** Weights were changed: from here on, a failure rolls back. */
  private touched = false
  private promoteRequest: { full: boolean } | null = null
  /** promote --full: the last step's checks are skipped too. */
  private fullPromotion = false

  private get spec(): CanarySpec {
    return this.record.spec as CanarySpec
  }

  private get deadline(): number {
    return this.spec.timeout_ms === null ? Infinity : this.started + this.spec.timeout_ms
  }

  // ── Steering ─────────────────────────────────────────────────────────────────────────────

  pause(by: string): void {
    if (this.record.paused !== null) return
    this.setPaused(by, null, `paused by ${by}`)
  }

  resume(by: string): void {
    if (this.record.paused === null) return
    this.record.paused = null
    this.record.status = 'running'
    this.emit({ event: 'resumed', by })
    this.waker.kick()
  }

  promote(by: string, full: boolean): void {
    if (this.record.canary === null) throw new RolloutRefusedError(`the rollout of ${this.record.uri} is still waiting for its canary`)
    this.promoteRequest = { full: full || (this.promoteRequest?.full ?? false) }
    this.record.paused = null
    if (this.record.status === 'paused') this.record.status = 'running'
    this.emit({ event: 'promote', by, full })
    this.waker.kick()
  }

  private setPaused(by: string, until: number | null, reason: string): void {
    this.record.paused = { since: new Date().toISOString(), until: until === null ? null : new Date(until).toISOString(), by }
    this.record.status = 'paused'
    this.emit({ event: 'paused', by, until: this.record.paused.until, reason })
    this.waker.kick()
  }

  // ── The run ──────────────────────────────────────────────────────────────────────────────

  protected async run(): Promise<void> {
    try {
      if (this.resumed && this.record.canary !== null) return await this.takeOver()
      if (this.record.canary === null) await this.waitForCanary()
      const canary = this.record.canary!
      this.record.status = 'running'
      this.emit({
        event: 'canary',
        uri: this.record.uri,
        registration: this.record.registration,
        canary: { session: canary.session, authid: canary.authid },
        old: this.record.old.map((c) => ({ session: c.session, authid: c.authid, weight: c.weight, state: c.state })),
      })
      await this.walk()
      await this.promoted()
    } catch (err) {
      await this.failed(err)
    }
  }

  /**
   * Taken over from its record (docs/rollout.md, "On a cluster"): a rollback under way is done
   * again (restoring is idempotent); retiring goes on with the old callees still registered; a
   * canary that is gone (its node died with it) rolls back; otherwise the current step goes on
   * where it was — its weights are not applied twice (only a step the record does not show as
   * applied is applied, with the same weights), its check window starts afresh.
   */
  private async takeOver(): Promise<void> {
    const r = this.record
    this.touched = r.steps.length > 0 || r.status === 'promoting' || r.status === 'rolling_back'
    if (r.status === 'rolling_back') throw new Stop('breach', 'the rollback was under way when the node running it stopped')
    if (r.status === 'retiring') return await this.promoted()
    this.canaryCallee(this.reg())
    if (r.status === 'promoting') r.status = 'running'
    const index = Math.max(0, (r.step ?? 1) - 1)
    const step = this.spec.steps[index]
    const applied = step !== undefined && ('pause_ms' in step || r.steps.at(-1)?.step === r.step)
    await this.walk(index, applied)
    await this.promoted()
  }

  private async waitForCanary(): Promise<void> {
    const sel = this.spec.canary
    const want = 'session' in sel ? `session ${sel.session}` : `authid '${sel.authid}'`
    const deadline = Math.min(Date.now() + this.spec.wait_ms, this.deadline)
    this.emit({
      event: 'waiting',
      uri: this.record.uri,
      registration: this.record.registration,
      for: `the canary (${want})`,
      have: 0,
      want: 1,
      deadline: new Date(deadline).toISOString(),
    })
    const old = new Set(this.record.old.map((c) => c.session))
    for (;;) {
      this.checkStop()
      const found = this.reg()?.callees.find(
        (c) => !old.has(c.session.id) && ('session' in sel ? c.session.id === sel.session : c.session.authid === sel.authid),
      )
      if (found !== undefined) {
        if (found.state !== 'active') throw new Stop('failed', `the canary (session ${found.session.id}) is ${found.state}`)
        this.record.canary = calleeRecord(found)
        return
      }
      if (Date.now() >= deadline) {
        throw new Stop('timeout', `the canary (${want}) did not register on ${this.record.uri} within ${this.spec.wait_ms} ms`)
      }
      await sleep(Math.min(CANARY_POLL_MS, deadline - Date.now()), this.stop.signal)
    }
  }

  /** The steps from `from` on (`applied`: its weights are set already, or its pause began: only its checks are left). */
  private async walk(from = 0, applied = false): Promise<void> {
    const steps = this.spec.steps
    const last = steps.length - 1
    for (let i = from; i < steps.length; i++) {
      const s = steps[i]!
      this.record.step = i + 1
      if (i === from && applied) {
        await this.checks(i, 'pause_ms' in s ? null : (this.record.steps.at(-1) ?? null))
      } else if ('pause_ms' in s) {
        this.setPaused(
          'step',
          s.pause_ms === null ? null : Date.now() + s.pause_ms,
          `step ${i + 1}: ${s.pause_ms === null ? "pause until 'rollout promote' or 'rollout resume'" : `pause ${s.pause_ms} ms`}`,
        )
        await this.checks(i, null)
      } else {
        const rec = this.applyStep(i, s.percent)
        if (!this.fullPromotion) await this.checks(i, rec)
      }
      if (this.promoteRequest?.full === true) {
        this.fullPromotion = true
        if (i < last) i = last - 1 // straight to the last step
      }
      this.promoteRequest = null
    }
  }

  /** Set the weights for `percent`; returns the step's record. */
  private applyStep(index: number, percent: number): StepRecord {
    const reg = this.reg()
    const canary = this.canaryCallee(reg)
    const old = this.presentOld(reg)
    let weight: number
    if (percent < 100) {
      const sum = activeWeight(old.map(([r]) => r))
      if (sum === 0) throw new Stop('breach', 'no old callee is left to compare the canary with')
      weight = canaryWeight(percent, sum)
      this.touched = true
      this.control.setCalleeWeight(canary, weight)
    } else {
      // Old callees to 0 one by one while the canary keeps its weight, then the canary to 1:
      // at every moment some callee takes calls.
      this.record.status = 'promoting'
      this.touched = true
      this.save()
      for (const [, c] of old) if (c.weight !== 0) this.control.setCalleeWeight(c, 0)
      weight = 1
      this.control.setCalleeWeight(canary, 1)
      this.record.status = 'running'
    }
    const r = this.record
    r.percent = percent
    r.canary_weight = weight
    r.next_check_at = new Date(Date.now() + this.spec.interval_ms).toISOString()
    const rec: StepRecord = {
      step: index + 1,
      percent,
      canary_weight: weight,
      checks: 0,
      canary_calls: 0,
      canary_errors: 0,
      rest_calls: 0,
      share: null,
    }
    r.steps.push(rec)
    const oldWeights: WeightRef[] = old.map(([, c]) => ({ session: c.session.id, weight: c.weight }))
    this.emit({
      event: 'step',
      step: index + 1,
      steps: this.spec.steps.length,
      percent,
      canary_weight: weight,
      old_weights: oldWeights,
      interval_ms: this.spec.interval_ms,
      next_step_at: r.next_check_at,
    })
    return rec
  }

  /**
   * Check every interval until the step may end: a traffic step (`rec`) after --success-limit
   * passed checks while not paused; a pause step (`rec` null) once the pause is over. A promote
   * ends either at once. Throws Stop to roll back.
   */
  private async checks(index: number, rec: StepRecord | null): Promise<void> {
    const spec = this.spec
    const old = new Set(this.record.old.map((c) => c.session))
    const sampleMs = Math.min(1000, Math.max(100, Math.round(spec.interval_ms / 5)))
    let failures = 0
    let successes = 0
    const over = (): boolean => {
      if (this.promoteRequest !== null) return true
      const p = this.record.paused
      if (rec === null) {
        if (p === null) return true
        if (p.until !== null && Date.now() >= Date.parse(p.until)) {
          this.record.paused = null
          this.record.status = 'running'
          this.emit({ event: 'resumed', by: 'timer' })
          return true
        }
        return false
      }
      return p === null && successes >= spec.success_limit
    }
    for (;;) {
      const before: ReadonlyMap<number, CalleeCounters> = await this.readings(this.reg())
      const t0 = Date.now()
      const next = t0 + spec.interval_ms
      this.record.next_check_at = new Date(next).toISOString()
      for (;;) {
        this.checkStop()
        if (over()) return
        const now = Date.now()
        if (now >= this.deadline) throw new Stop('timeout', `--timeout ${spec.timeout_ms} ms ran out`)
        if (now >= next) break
        const until = this.record.paused?.until
        const pauseLeft = until === null || until === undefined ? Infinity : Date.parse(until) - now
        await this.waker.nap(Math.max(1, Math.min(next - now, this.deadline - now, sampleMs, pauseLeft)), this.stop.signal)
        if (this.host.wantsSamples() && Date.now() < next && this.record.canary !== null) {
          this.emit({
            event: 'sample',
            step: index + 1,
            percent: this.record.percent ?? 0,
            window: windowStats(await this.readings(this.reg()), before, this.record.canary.session, old, Date.now() - t0),
            next_step_in_ms: Math.max(0, next - Date.now()),
          })
        }
      }
      // One check: the traffic since the window began, and the probe.
      const reg = this.reg()
      const canary = this.canaryCallee(reg)
      const window = windowStats(await this.readings(reg), before, canary.session.id, old, Date.now() - t0)
      const probe = spec.probe === null ? null : await this.host.probe.probe(spec.probe, canary.session.id, spec.probe_timeout_ms)
      this.checkStop()
      const judged = judge(window, spec, probe)
      const reason = judged.reason
      const verdict = judged.verdict === 'inconclusive' && spec.on_idle === 'rollback' ? 'breach' : judged.verdict
      const counts =
        verdict === 'pass' || (verdict === 'inconclusive' && spec.on_idle === 'pass') || (verdict === 'breach' && spec.dry_run_analysis)
      if (verdict === 'breach') failures++
      else if (verdict === 'pass') failures = 0
      if (counts) successes++
      else if (verdict === 'breach') successes = 0
      const rollback = verdict === 'breach' && !spec.dry_run_analysis && failures >= spec.failure_limit
      const action = rollback ? 'rollback' : verdict === 'breach' && spec.dry_run_analysis ? 'report' : over() ? 'advance' : 'hold'
      if (rec !== null) {
        rec.checks++
        rec.canary_calls += window.canary.calls
        rec.canary_errors += window.canary.errors
        rec.rest_calls += window.rest.calls
        rec.share = rec.canary_calls + rec.rest_calls === 0 ? null : rec.canary_calls / (rec.canary_calls + rec.rest_calls)
      }
      const percent = this.record.percent ?? 0
      const gate: RecordedGate = {
        step: index + 1,
        percent,
        verdict,
        reason,
        probe,
        failures,
        successes,
        action,
        at: new Date().toISOString(),
      }
      this.record.last_gate = gate
      this.emit({ event: 'gate', step: index + 1, percent, window, verdict, reason, probe, failures, successes, action })
      if (rollback) throw new Stop('breach', `step ${index + 1} (${percent}%): ${reason}`)
    }
  }

  // ── Endings ──────────────────────────────────────────────────────────────────────────────

  private async promoted(): Promise<void> {
    const canary = this.record.canary!
    const present = this.presentOld(this.reg()).map(([r]) => r)
    this.emit({
      event: 'promoted',
      canary: { session: canary.session, authid: canary.authid },
      old: present.map((c) => ({ session: c.session, authid: c.authid })),
    })
    if (this.spec.on_success === 'keep') {
      this.record.kept = present.map((c) => c.session)
      return this.end('promoted', `the canary (session ${canary.session}) takes all the traffic; old callees kept at weight 0`)
    }
    this.record.status = 'retiring'
    const stuck = await retireOld(this, present, this.spec.drain_timeout_ms)
    this.end(
      'promoted',
      stuck.length === 0
        ? `the canary (session ${canary.session}) takes all the traffic; old callees retired`
        : `the canary (session ${canary.session}) takes all the traffic; draining old callee(s) ${stuck.join(', ')} timed out: they stay cordoned at weight 0 with calls in flight`,
    )
  }

  /** Whatever stopped the run: roll back where weights changed, then end with the outcome. */
  private async failed(err: unknown): Promise<void> {
    if (this.released) return
    const stop = err instanceof Stop ? err : new Stop('failed', `error: ${(err as Error).message}`)
    if (this.abortedBy === 'router shutdown') return this.end('aborted', stop.message)
    if (this.record.status === 'retiring') {
      return this.end('aborted', `${stop.message} while retiring the old callees: the canary serves, the rest stay registered at weight 0`)
    }
    if (!this.touched) {
      return this.end(
        stop.kind === 'timeout' ? 'timed_out' : stop.kind === 'aborted' ? 'aborted' : 'failed',
        `${stop.message}; nothing was changed`,
      )
    }
    this.record.status = 'rolling_back'
    let restored
    try {
      restored = await restoreStart(
        this.realm,
        this.reg(),
        this.record.old,
        this.record.canary?.session ?? null,
        this.spec.drain_timeout_ms,
      )
    } catch (e) {
      return this.end('failed', `${stop.message}; restoring the starting weights failed too (${(e as Error).message})`)
    }
    const canary = this.record.canary!
    if (stop.kind === 'aborted') {
      this.emit({ event: 'aborted', by: this.abortedBy ?? 'unknown', restored: restored.restored })
    } else {
      this.emit({
        event: 'rollback',
        reason: stop.message,
        restored: restored.restored,
        canary: { session: canary.session, authid: canary.authid },
        canary_drained: restored.canaryDrained,
      })
    }
    for (const s of restored.skipped) this.emit({ event: 'note', message: `left as is: session ${s.session}: ${s.reason}` })
    const where = restored.canaryOut
      ? `the old callees serve with their starting weights; the canary (session ${canary.session}) stays registered at weight 0, cordoned`
      : 'the old callees serve with their starting weights'
    this.end(stop.kind === 'aborted' ? 'aborted' : stop.kind === 'timeout' ? 'timed_out' : 'rolled_back', `${stop.message}; ${where}`)
  }

  // ── Helpers ──────────────────────────────────────────────────────────────────────────────

  /**
   * The statistics of the registration's callees now. On a cluster node, each callee's from its
   * own node (cluster/ops.ts), so a check sees all of the canary's calls, whichever node routed
   * them; a callee whose node did not answer keeps its last reading (no change in that window).
   * A single router reads its dealer.
   */
  private async readings(reg: Registration | undefined): Promise<ReadonlyMap<number, CalleeReading>> {
    const ops = this.realm.cluster?.ops
    if (ops === undefined || reg === undefined) return readingsOf(reg)
    const now = await ops.readings(reg)
    for (const [session, r] of now) {
      if (r === null) {
        const last = this.lastReadings.get(session)
        if (last === undefined) now.delete(session)
        else now.set(session, last)
      } else this.lastReadings.set(session, r)
    }
    return now as Map<number, CalleeReading>
  }

  private reg(): Registration | undefined {
    return this.realm.dealer.byId.get(this.record.registration)
  }

  private canaryCallee(reg: Registration | undefined): Callee {
    const s = this.record.canary!.session
    const c = reg === undefined ? undefined : calleeOfSession(reg.callees, s)
    if (c === undefined) throw new Stop('breach', `the canary (session ${s}) left ${this.record.uri}`)
    return c
  }

  /** The old callees still registered, with their start records. */
  private presentOld(reg: Registration | undefined): Array<[CalleeRecord, Callee]> {
    const out: Array<[CalleeRecord, Callee]> = []
    for (const r of this.record.old) {
      const c = reg === undefined ? undefined : calleeOfSession(reg.callees, r.session)
      if (c !== undefined) out.push([r, c])
    }
    return out
  }

  /** For retire.ts: publish its events through this run. */
  report(e: Parameters<RolloutRun['emit']>[0]): void {
    this.emit(e)
  }

  get signal(): AbortSignal {
    return this.stop.signal
  }

  get realmOf(): Realm {
    return this.realm
  }
}
