import type { MetaClient } from '../../client/meta-client.js'
import { TimeoutError, WampctlError } from '../../client/errors.js'
import type { CalleeView, RegistrationView } from '../../client/views.js'
import { formatDuration } from '../duration.js'
import { record } from './canary-callees.js'
import { viewTakesCalls } from '../../client/views.js'
import type { CalleeRef, EventSink, RolloutEvent } from './events.js'
import { requireDrain, requireNoRollout } from './guards.js'
import { retireCallee, type RetireOutcome } from './retire.js'
import { RunControl, StopReason } from './run-control.js'
import { inheritStart, newState, type RolloutState, type RolloutStore } from './state-file.js'
import { waitFor, Waker } from './wait.js'

const POLL_MS = 250

export interface ReplaceOptions {
  uri: string
  /** New callees to wait for before draining any old one. */
  count: number
  /** New callees are those with this authid; null: those that register after the run starts. */
  newAuthid: string | null
  /** Never leave fewer active callees than this. */
  minAvailable: number
  /** Bound on the whole run (exit 5). */
  timeoutMs: number
  drainTimeoutMs: number
  store: RolloutStore
  /** Ctrl-C / SIGTERM: stop between drains (a drain in progress finishes on the router). */
  signal?: AbortSignal
  onEvent?: EventSink
}

/** What `wampctl rollout replace` returns (the --json result). */
export interface ReplaceResult {
  uri: string
  registration: number
  new: CalleeRef[]
  retired: RetireOutcome[]
  elapsed_ms: number
}

/**
 * Rolling replacement of the callees of `uri`: wait for `count` new callees, then drain the old
 * ones one at a time (then unregister), never leaving fewer than `minAvailable` active callees.
 * The whole run is bounded by `timeoutMs` (TimeoutError, exit 5).
 */
export async function runReplace(meta: MetaClient, o: ReplaceOptions): Promise<ReplaceResult> {
  await requireDrain(meta, o.uri)
  const registration = await meta.resolveRegistration(o.uri)
  const reg = await meta.describe(registration)
  const kept = requireNoRollout(o.store, o.uri)
  const initial = new Set(reg.callees.map((c) => c.session))
  const isNew = (c: CalleeView): boolean => (o.newAuthid !== null ? c.authid === o.newAuthid : !initial.has(c.session))
  const old = reg.callees.filter((c) => !isNew(c))
  const state = newState({
    kind: 'replace',
    url: meta.client.url,
    realm: meta.client.realm,
    uri: reg.uri,
    registration,
    old: inheritStart(old.map(record), kept),
    options: {
      count: o.count,
      new_authid: o.newAuthid,
      min_available: o.minAvailable,
      timeout_ms: o.timeoutMs,
      drain_timeout_ms: o.drainTimeoutMs,
    },
  })
  o.store.write(state)
  const run = new ReplaceRun(meta, o, reg, state, kept, isNew, new RunControl(o.store, o.signal))
  return run.run(old.map((c) => ({ session: c.session, authid: c.authid })))
}

class ReplaceRun {
  private readonly started = Date.now()
  private readonly deadline: number
  private readonly seen = new Set<number>()
  private readonly result: ReplaceResult

  constructor(
    private readonly meta: MetaClient,
    private readonly o: ReplaceOptions,
    private readonly reg: RegistrationView,
    private readonly state: RolloutState,
    /** A kept canary record this run supersedes: put back if the run fails before retiring anything. */
    private readonly kept: RolloutState | null,
    private readonly isNew: (c: CalleeView) => boolean,
    private readonly control: RunControl,
  ) {
    this.deadline = this.started + o.timeoutMs
    this.result = { uri: reg.uri, registration: reg.id, new: [], retired: [], elapsed_ms: 0 }
  }

  async run(old: CalleeRef[]): Promise<ReplaceResult> {
    try {
      await this.waitForNew()
      this.save({ status: 'replacing' })
      for (let i = 0; i < old.length; i++) {
        const c = old[i]!
        if (!(await this.waitForRoom(c))) continue // it left by itself
        const left = this.deadline - Date.now()
        const out = await retireCallee(
          this.meta,
          this.control,
          this.reg.id,
          c,
          Math.max(1, Math.min(this.o.drainTimeoutMs, left)),
          (e) => this.emit(e),
          { index: i + 1, of: old.length },
        )
        this.result.retired.push(out)
        this.save({ retired: [...this.state.retired, c.session] })
        if (out.outcome === 'timeout') {
          const why =
            Date.now() >= this.deadline
              ? `--timeout ${formatDuration(this.o.timeoutMs)} ran out`
              : `its drain timed out after ${formatDuration(this.o.drainTimeoutMs)}`
          throw new TimeoutError(
            `${this.reg.uri}: ${why} while session ${c.session} still had ${out.inflight} call(s) in flight; it stays cordoned (no call was dropped); ${this.progress(old.length)}`,
          )
        }
      }
      this.o.store.remove()
      this.result.elapsed_ms = Date.now() - this.started
      return this.result
    } catch (err) {
      if (!this.control.aborted) {
        const untouched = this.result.retired.length === 0
        if (untouched && this.kept !== null) this.o.store.write(this.kept)
        else this.o.store.remove()
      }
      if (err instanceof StopReason)
        throw new WampctlError(`${this.reg.uri}: ${err.message}; ${this.progress(old.length)}`, 'WAMPCTL_INTERRUPTED', 1)
      throw err
    } finally {
      this.control.dispose()
    }
  }

  private progress(of: number): string {
    const done = this.result.retired.filter((r) => r.outcome !== 'timeout').length
    return `${done} of ${of} old callee(s) retired, ${this.result.new.length} new one(s) serving`
  }

  /** Until `count` new callees take calls. */
  private async waitForNew(): Promise<void> {
    const want = this.o.count
    const what = this.o.newAuthid !== null ? `${want} new callee(s) with authid '${this.o.newAuthid}'` : `${want} new callee(s) to register`
    this.emit({
      event: 'waiting',
      uri: this.reg.uri,
      registration: this.reg.id,
      for: what,
      have: 0,
      want,
      deadline: new Date(this.deadline).toISOString(),
    })
    const ok = await this.watch(async (reg) => {
      const fresh = reg.callees.filter((c) => this.isNew(c) && viewTakesCalls(c))
      for (const c of fresh) {
        if (this.seen.has(c.session)) continue
        this.seen.add(c.session)
        this.result.new.push({ session: c.session, authid: c.authid })
        this.save({ new_sessions: [...this.seen] })
        this.emit({ event: 'new-callee', callee: { session: c.session, authid: c.authid }, have: this.seen.size, want })
      }
      return fresh.length >= want ? true : undefined
    })
    if (ok === undefined) {
      throw new TimeoutError(
        `${this.reg.uri}: only ${this.seen.size} of ${what.replace(/ to register$/, '')} came within --timeout ${formatDuration(this.o.timeoutMs)}; no callee was drained`,
      )
    }
  }

  /** Until draining `c` leaves at least --min-available active callees; false if `c` is gone already. */
  private async waitForRoom(c: CalleeRef): Promise<boolean> {
    let told = false
    const ok = await this.watch(async (reg) => {
      if (!reg.callees.some((x) => x.session === c.session)) return false
      const others = reg.callees.filter((x) => x.session !== c.session && viewTakesCalls(x)).length
      if (others >= this.o.minAvailable) return true
      if (!told)
        this.emit({
          event: 'holding',
          reason: `draining session ${c.session} now would leave ${others} active callee(s), fewer than --min-available ${this.o.minAvailable}`,
        })
      told = true
      return undefined
    })
    if (ok === undefined) {
      throw new TimeoutError(
        `${this.reg.uri}: --timeout ${formatDuration(this.o.timeoutMs)} ran out waiting to keep --min-available ${this.o.minAvailable} active callees before draining session ${c.session}; ${this.progress(this.state.old.length)}`,
      )
    }
    return ok
  }

  /** Poll describe (and wake on on_register) until `check` answers or the run's deadline. */
  private async watch<T>(check: (reg: RegistrationView) => Promise<T | undefined>): Promise<T | undefined> {
    const waker = new Waker()
    const unsubscribe = await this.meta.client
      .subscribe('wamp.registration.on_register', (args) => {
        if (args[1] === this.reg.id) waker.kick()
      })
      .catch(() => async () => {})
    try {
      return await waitFor(async () => check(await this.meta.describe(this.reg.id)), {
        deadline: this.deadline,
        pollMs: POLL_MS,
        waker,
        signal: this.control.signal,
      })
    } finally {
      await unsubscribe()
    }
  }

  private save(fields: Partial<RolloutState>): void {
    Object.assign(this.state, fields)
    if (!this.control.aborted) this.o.store.write(this.state)
  }

  private emit(e: RolloutEvent): void {
    this.o.onEvent?.(e)
  }
}
