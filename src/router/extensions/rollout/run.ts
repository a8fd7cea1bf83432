import type { RolloutEvent, RolloutOutcome, RolloutRecord } from '../../../protocol/rollout.js'
import type { Realm } from '../../realm.js'
import type { ProbeCaller } from './probe.js'
import { Waker } from './wait.js'

/** What a running rollout needs from the controller that owns it. */
export interface RunHost {
  readonly realm: Realm
  readonly probe: ProbeCaller
  /** Publish one event of this rollout on wampctl.rollout.on_update (the record as it is now). */
  emit(record: RolloutRecord, event: RolloutEvent): void
  /** Someone follows wampctl.rollout.on_update: worth sending live samples. */
  wantsSamples(): boolean
  /** The run ended: move its record to the history. */
  finished(record: RolloutRecord): void
  /** The record changed without an event worth publishing (a cluster node writes it for the others). */
  saved(record: RolloutRecord): void
}

/** Why a run stopped before its end. */
export class Stop extends Error {
  constructor(
    readonly kind: 'aborted' | 'breach' | 'timeout' | 'failed',
    message: string,
  ) {
    super(message)
  }
}

/**
 * One rollout running in the router: its record (the only state a cluster would need to take it
 * over), its stop switch and its wake-up call. Steering verbs set a flag and kick the waker; the
 * run's loop acts on them at once.
 */
export abstract class RolloutRun {
  readonly done: Promise<void>
  protected readonly stop = new AbortController()
  protected readonly waker = new Waker()
  protected abortedBy: string | null = null
  /** Another node runs it from here on (handed over, or taken over): this run neither acts nor reports any more. */
  protected released = false

  constructor(
    protected readonly host: RunHost,
    readonly record: RolloutRecord,
    /** A cluster node took it over from its record (the node running it went down or stopped): go on from where it was. */
    protected readonly resumed = false,
  ) {
    this.done = Promise.resolve().then(() => this.run())
  }

  /** When it started (from the record: a run taken over keeps its start, and its --timeout). */
  protected get started(): number {
    return Date.parse(this.record.started_at)
  }

  protected abstract run(): Promise<void>

  abstract pause(by: string): void
  abstract resume(by: string): void
  abstract promote(by: string, full: boolean): void

  /** Stop the run; it restores what it changed, then ends as `aborted`. */
  async abort(by: string): Promise<void> {
    if (this.abortedBy === null) {
      this.abortedBy = by
      this.stop.abort(new Stop('aborted', `aborted by ${by}`))
      this.waker.kick()
    }
    await this.done
  }

  /** The router is closing: stop acting at once, restore nothing (the sessions are going too). */
  dispose(): void {
    this.abortedBy ??= 'router shutdown'
    this.stop.abort(new Stop('aborted', 'the router shut down'))
  }

  /**
   * Another node runs it from here on (this one stops cleanly and hands it over, or another node
   * took it over): stop at once, change nothing more, report nothing, record no ending.
   */
  release(): void {
    this.released = true
    this.abortedBy ??= 'handed over'
    this.stop.abort(new Stop('aborted', 'handed over to another node'))
    this.waker.kick()
  }

  protected get realm(): Realm {
    return this.host.realm
  }

  protected emit(event: RolloutEvent): void {
    if (this.released) return
    this.record.updated_at = new Date().toISOString()
    this.host.emit(this.record, event)
  }

  /** The record changed with no event (a cluster node writes it, so that a node taking over knows). */
  protected save(): void {
    if (!this.released) this.host.saved(this.record)
  }

  protected end(outcome: RolloutOutcome, reason: string | null): void {
    if (this.released) return
    const r = this.record
    r.status = outcome
    r.outcome = outcome
    r.reason = reason
    r.ended_at = new Date().toISOString()
    r.next_check_at = null
    r.paused = null
    this.emit({ event: 'completed', outcome, reason })
    this.host.finished(r)
  }

  protected checkStop(): void {
    if (this.stop.signal.aborted) throw this.stop.signal.reason
  }
}
