import type { MetaClient } from '../../client/meta-client.js'
import { CallError, RolledBackError, TimeoutError, WampctlError } from '../../client/errors.js'
import type { RegistrationView } from '../../client/views.js'
import { formatDuration } from '../duration.js'
import type { CanaryOptions, CanaryResult, StepRecord } from './canary.js'
import { activeWeight, pickCanary, record } from './canary-callees.js'
import type { CalleeRef, RolloutEvent, WeightRef } from './events.js'
import { evaluateGates, windowStats, type GateResult, type WindowStats } from './health.js'
import { retireCallee } from './retire.js'
import { RunControl, StopReason } from './run-control.js'
import { newState, type CalleeRecord, type RolloutState, type RolloutStatus } from './state-file.js'
import { canaryWeight } from './steps.js'
import { sleep, waitFor, Waker } from './wait.js'

const POLL_MS = 250

/** The run ran out of --timeout: roll back, then exit 5. */
class OutOfTime {}

/** One canary rollout from start to end (see runCanary). */
export class CanaryRun {
  private readonly control: RunControl
  private readonly state: RolloutState
  private readonly oldSessions: Set<number>
  private readonly started = Date.now()
  private readonly deadline: number
  private canary: CalleeRecord | undefined
  /** Weights were changed: from here on, a failure rolls back. */
  private touched = false
  private readonly steps: StepRecord[] = []

  constructor(
    private readonly meta: MetaClient,
    private readonly o: CanaryOptions,
    private readonly reg: RegistrationView,
    private readonly old: CalleeRecord[],
    canary: CalleeRecord | undefined,
  ) {
    this.canary = canary
    this.oldSessions = new Set(old.map((c) => c.session))
    this.deadline = o.timeoutMs === null ? Infinity : this.started + o.timeoutMs
    this.state = newState({
      kind: 'canary',
      url: meta.client.url,
      realm: meta.client.realm,
      uri: reg.uri,
      registration: reg.id,
      old,
      canary: canary ?? null,
      steps: o.steps,
      interval_ms: o.intervalMs,
      options: {
        canary: o.canary,
        steps: o.steps,
        interval_ms: o.intervalMs,
        max_error_rate: o.gates.maxErrorRate,
        max_p99_ms: o.gates.maxP99Ms,
        min_calls: o.gates.minCalls,
        on_idle: o.onIdle,
        on_success: o.onSuccess,
        drain_timeout_ms: o.drainTimeoutMs,
        timeout_ms: o.timeoutMs,
      },
    })
    o.store.write(this.state)
    this.control = new RunControl(o.store, o.signal)
  }

  async run(): Promise<CanaryResult> {
    try {
      const canary = this.canary ?? (await this.waitForCanary())
      this.canary = canary
      this.save({ canary, status: 'running' })
      this.emit({
        event: 'canary',
        uri: this.reg.uri,
        registration: this.reg.id,
        canary: ref(canary),
        old: this.old.map((c) => ({ ...ref(c), weight: c.weight, state: c.state })),
      })
      await this.walkSteps()
      return await this.finish()
    } catch (err) {
      throw await this.failed(err)
    } finally {
      this.control.dispose()
    }
  }

  // ── Waiting for the canary ───────────────────────────────────────────────────────────────

  private async waitForCanary(): Promise<CalleeRecord> {
    const want = 'session' in this.o.canary ? `session ${this.o.canary.session}` : `authid '${this.o.canary.authid}'`
    const deadline = Math.min(Date.now() + this.o.waitMs, this.deadline)
    this.emit({
      event: 'waiting',
      uri: this.reg.uri,
      registration: this.reg.id,
      for: `the canary (${want})`,
      have: 0,
      want: 1,
      deadline: new Date(deadline).toISOString(),
    })
    const waker = new Waker()
    const unsubscribe = await this.meta.client
      .subscribe('wamp.registration.on_register', (args) => {
        if (args[1] === this.reg.id) waker.kick()
      })
      .catch(() => async () => {}) // no permission to watch meta events: polling alone will do
    try {
      const found = await waitFor(async () => pickCanary(await this.meta.describe(this.reg.id), this.o.canary, this.oldSessions), {
        deadline,
        pollMs: POLL_MS,
        waker,
        signal: this.control.signal,
      })
      if (found === undefined) {
        throw new TimeoutError(
          `the canary (${want}) did not register on ${this.reg.uri} within ${formatDuration(this.o.waitMs)}; nothing was changed`,
        )
      }
      return record(found)
    } finally {
      await unsubscribe()
    }
  }

  // ── Steps ────────────────────────────────────────────────────────────────────────────────

  private async walkSteps(): Promise<void> {
    const steps = this.o.steps
    for (let i = 0; i < steps.length; i++) {
      const percent = steps[i]!
      const weight = await this.applyStep(i, percent)
      const rec: StepRecord = {
        step: i + 1,
        percent,
        canary_weight: weight,
        windows: 0,
        canary_calls: 0,
        canary_errors: 0,
        rest_calls: 0,
        share: null,
      }
      this.steps.push(rec)
      for (;;) {
        const { window, gate } = await this.observe(i, percent)
        rec.windows++
        rec.canary_calls += window.canary.calls
        rec.canary_errors += window.canary.errors
        rec.rest_calls += window.rest.calls
        rec.share = rec.canary_calls + rec.rest_calls === 0 ? null : rec.canary_calls / (rec.canary_calls + rec.rest_calls)
        const action =
          gate.verdict === 'breach' || (gate.verdict === 'idle' && this.o.onIdle === 'rollback')
            ? 'rollback'
            : gate.verdict === 'idle' && this.o.onIdle === 'hold'
              ? 'hold'
              : 'advance'
        this.emit({ event: 'gate', step: i + 1, percent, window, action, ...gate })
        if (action === 'rollback') throw new Breach(`step ${i + 1} (${percent}%): ${gate.reason}`)
        if (action === 'advance') break
        this.save({ next_step_at: new Date(Date.now() + this.o.intervalMs).toISOString() })
      }
    }
  }

  /** Set the weights for `percent`; returns the canary's weight. */
  private async applyStep(index: number, percent: number): Promise<number> {
    const now = await this.describe()
    const canary = this.canary!
    const present = new Map(now.callees.map((c) => [c.session, c]))
    const old = this.old.filter((c) => present.has(c.session))
    let weight: number
    if (percent < 100) {
      const sum = activeWeight(old)
      if (sum === 0) throw new Breach(`no old callee is left to compare the canary with`)
      weight = canaryWeight(percent, sum)
      this.touched = true
      await this.control.act(() => this.meta.setWeight(this.reg.id, canary.session, weight))
    } else {
      // Old callees to 0 one by one while the canary keeps its weight, then the canary to 1:
      // at every moment some callee takes calls.
      this.save({ status: 'promoting' })
      for (const c of old) {
        if (present.get(c.session)!.weight !== 0) await this.control.act(() => this.meta.setWeight(this.reg.id, c.session, 0))
      }
      weight = 1
      await this.control.act(() => this.meta.setWeight(this.reg.id, canary.session, 1))
    }
    const nextAt = new Date(Date.now() + this.o.intervalMs).toISOString()
    this.save({ status: 'running', step_index: index, percent, canary_weight: weight, next_step_at: nextAt })
    const oldWeights: WeightRef[] = old.map((c) => ({
      session: c.session,
      weight: percent < 100 ? (present.get(c.session)!.weight ?? c.weight) : 0,
    }))
    this.emit({
      event: 'step',
      step: index + 1,
      steps: this.o.steps.length,
      percent,
      canary_weight: weight,
      old_weights: oldWeights,
      interval_ms: this.o.intervalMs,
      next_step_at: nextAt,
    })
    return weight
  }

  /** Watch one interval and judge it. */
  private async observe(index: number, percent: number): Promise<{ window: WindowStats; gate: GateResult }> {
    const before = await this.describe()
    const t0 = Date.now()
    const end = t0 + this.o.intervalMs
    for (;;) {
      const now = Date.now()
      if (now >= this.deadline) throw new OutOfTime()
      if (now >= end) break
      const nap = Math.min(end - now, this.deadline - now, this.o.sampleMs ?? Infinity)
      await sleep(nap, this.control.signal)
      if (this.o.sampleMs !== null && Date.now() < end) {
        const mid = await this.describe()
        this.emit({
          event: 'sample',
          step: index + 1,
          percent,
          window: windowStats(before, mid, this.canary!.session, this.oldSessions, Date.now() - t0),
          next_step_in_ms: Math.max(0, end - Date.now()),
        })
      }
    }
    const after = await this.describe()
    if (!after.callees.some((c) => c.session === this.canary!.session))
      throw new Breach(`the canary (session ${this.canary!.session}) left ${this.reg.uri}`)
    const window = windowStats(before, after, this.canary!.session, this.oldSessions, Date.now() - t0)
    const gate = evaluateGates(window, this.o.gates)
    this.save({ last_gate: { step: index + 1, percent, verdict: gate.verdict, reason: gate.reason, at: new Date().toISOString() } })
    return { window, gate }
  }

  // ── Endings ──────────────────────────────────────────────────────────────────────────────

  private async finish(): Promise<CanaryResult> {
    const canary = this.canary!
    const now = await this.describe()
    const present = this.old.filter((c) => now.callees.some((x) => x.session === c.session))
    this.emit({ event: 'promoted', canary: ref(canary), old: present.map(ref) })
    const result: CanaryResult = {
      uri: this.reg.uri,
      registration: this.reg.id,
      outcome: 'promoted',
      canary: ref(canary),
      steps: this.steps,
      retired: [],
      kept: [],
      elapsed_ms: 0,
    }
    if (this.o.onSuccess === 'keep') {
      result.kept = present.map(ref)
    } else {
      this.save({ status: 'retiring' })
      for (let i = 0; i < present.length; i++) {
        const c = present[i]!
        const out = await retireCallee(this.meta, this.control, this.reg.id, ref(c), this.o.drainTimeoutMs, (e) => this.emit(e), {
          index: i + 1,
          of: present.length,
        })
        result.retired.push({ ...ref(c), outcome: out.outcome })
        this.save({ retired: [...this.state.retired, c.session] })
      }
    }
    if (this.o.onSuccess === 'keep') this.save({ status: 'promoted', next_step_at: null })
    else this.o.store.remove()
    result.elapsed_ms = Date.now() - this.started
    const stuck = result.retired.filter((r) => r.outcome === 'timeout')
    if (stuck.length > 0) {
      throw new TimeoutError(
        `${this.reg.uri}: the canary was promoted, but draining old callee(s) ${stuck.map((s) => s.session).join(', ')} timed out after ${formatDuration(this.o.drainTimeoutMs)}; they stay cordoned with calls in flight (no call was dropped)`,
      )
    }
    return result
  }

  /** Turn whatever stopped the run into the error the command reports, rolling back first where needed. */
  private async failed(err: unknown): Promise<unknown> {
    if (err instanceof StopReason && err.kind === 'aborted') return new RolledBackError(`${this.reg.uri}: ${err.message}`)
    if (this.state.status === 'retiring') {
      // Promoted already: nothing to roll back; the old callees not yet retired keep weight 0.
      this.o.store.remove()
      return err instanceof StopReason
        ? new WampctlError(
            `${this.reg.uri}: ${err.message} while retiring the old callees; the canary serves, the rest stay registered at weight 0`,
            'WAMPCTL_INTERRUPTED',
            1,
          )
        : err
    }
    if (!this.touched) {
      if (!this.control.aborted) this.o.store.remove()
      if (err instanceof StopReason)
        return new WampctlError(`${this.reg.uri}: ${err.message} before any weight changed`, 'WAMPCTL_INTERRUPTED', 1)
      return err
    }
    const reason =
      err instanceof Breach
        ? err.message
        : err instanceof OutOfTime
          ? `--timeout ${formatDuration(this.o.timeoutMs ?? 0)} ran out`
          : err instanceof StopReason
            ? err.message
            : `error: ${(err as Error).message}`
    try {
      await this.rollBack(reason)
    } catch (rollbackErr) {
      return new WampctlError(
        `${this.reg.uri}: ${reason}; rolling back failed too (${(rollbackErr as Error).message}): run 'wampctl rollout abort ${this.reg.uri}' to restore the starting weights`,
        'WAMPCTL_ROLLBACK_FAILED',
        1,
      )
    }
    if (this.control.aborted) return new RolledBackError(`${this.reg.uri}: aborted by 'wampctl rollout abort'`)
    const what = `rolled back ${this.reg.uri}: ${reason}; the old callees serve with their starting weights, the canary (session ${this.canary!.session}) has weight 0 and is cordoned`
    if (err instanceof OutOfTime) return new TimeoutError(what)
    if (err instanceof Breach || err instanceof StopReason) return new RolledBackError(what)
    return err instanceof WampctlError ? new WampctlError(`${what} (${err.message})`, err.code, err.exitCode) : err
  }

  /** Old callees back to their starting weights and states first (so someone always serves), then the canary out. */
  private async rollBack(reason: string): Promise<void> {
    this.save({ status: 'rolling_back' })
    const now = await this.describe()
    const present = new Map(now.callees.map((c) => [c.session, c]))
    const restored: WeightRef[] = []
    for (const c of this.old) {
      const cur = present.get(c.session)
      if (cur === undefined) continue
      if (cur.weight !== c.weight) await this.control.actAlways(() => this.meta.setWeight(this.reg.id, c.session, c.weight))
      if (c.state === 'active' && cur.state === 'cordoned') await this.control.actAlways(() => this.meta.uncordon(c.session, this.reg.id))
      restored.push({ session: c.session, weight: c.weight })
    }
    const canary = this.canary!
    let drained = false
    if (present.has(canary.session)) {
      await this.control.actAlways(() => this.meta.setWeight(this.reg.id, canary.session, 0))
      try {
        const r = await this.control.actAlways(() =>
          this.meta.drain(canary.session, this.reg.id, { timeout_ms: this.o.drainTimeoutMs, then: 'none' }),
        )
        drained = r?.drained ?? false
      } catch (err) {
        if (!(err instanceof CallError && err.uri === 'wampctl.error.drain_timeout')) throw err
        this.emit({
          event: 'note',
          message: `the canary's calls in flight did not all finish within ${formatDuration(this.o.drainTimeoutMs)}; it stays cordoned and they keep running`,
        })
      }
    }
    if (!this.control.aborted) this.o.store.remove()
    this.emit({ event: 'rollback', reason, restored, canary: ref(canary), canary_drained: drained })
  }

  // ── Helpers ──────────────────────────────────────────────────────────────────────────────

  private describe(): Promise<RegistrationView> {
    return this.meta.describe(this.reg.id)
  }

  private save(fields: Partial<RolloutState> & { status?: RolloutStatus }): void {
    Object.assign(this.state, fields)
    if (!this.control.aborted) this.o.store.write(this.state)
  }

  private emit(e: RolloutEvent): void {
    this.o.onEvent?.(e)
  }
}

/** A gate failed (or the canary left): roll back. */
class Breach extends Error {}

function ref(c: CalleeRecord): CalleeRef {
  return { session: c.session, authid: c.authid }
}
