import type { ReplaceSpec } from '../../../protocol/rollout.js'
import { RolloutRefusedError } from '../../errors.js'
import type { Realm } from '../../realm.js'
import type { Callee, Registration } from '../../registration.js'
import { calleeOfSession } from './record.js'
import { retireOne } from './retire.js'
import { RolloutRun, Stop } from './run.js'

const POLL_MS = 100

/**
 * A rolling replacement run by the router: wait for `count` new callees, then drain the old ones
 * one at a time (then unregister), never leaving fewer than `min_available` callees taking calls.
 * It has no traffic steps: pause, resume and promote are refused.
 */
export class ReplaceRun extends RolloutRun {
  private get spec(): ReplaceSpec {
    return this.record.spec as ReplaceSpec
  }

  pause(): void {
    throw new RolloutRefusedError(`the replace rollout of ${this.record.uri} has no steps to pause; 'wampctl rollout abort' stops it`)
  }

  resume(): void {
    this.pause()
  }

  promote(): void {
    this.pause()
  }

  get signal(): AbortSignal {
    return this.stop.signal
  }

  get realmOf(): Realm {
    return this.realm
  }

  report(e: Parameters<RolloutRun['emit']>[0]): void {
    this.emit(e)
  }

  protected async run(): Promise<void> {
    const deadline = this.started + this.spec.timeout_ms
    try {
      // Taken over while replacing (cluster): its new callees were counted already.
      if (!(this.resumed && this.record.status === 'replacing')) await this.waitForNew(deadline)
      this.record.status = 'replacing'
      const old = this.record.old
      for (let i = 0; i < old.length; i++) {
        const c = old[i]!
        if (this.record.retired.includes(c.session)) continue
        if (!(await this.waitForRoom(c.session, deadline))) continue // it left by itself
        const left = deadline - Date.now()
        const r = await retireOne(
          this.realm,
          this,
          { session: c.session, authid: c.authid },
          Math.max(1, Math.min(this.spec.drain_timeout_ms, left)),
          {
            index: i + 1,
            of: old.length,
          },
        )
        if (r.outcome === 'timeout') {
          throw new Stop(
            'timeout',
            `session ${c.session} still had ${r.inflight} call(s) in flight when its drain timed out; it stays cordoned (no call was dropped)`,
          )
        }
      }
      this.end('completed', `${this.record.retired.length} old callee(s) retired, ${this.record.new_sessions.length} new one(s) serving`)
    } catch (err) {
      if (this.released) return
      const stop = err instanceof Stop ? err : new Stop('failed', `error: ${(err as Error).message}`)
      const progress = `${this.record.retired.length} of ${this.record.old.length} old callee(s) retired`
      this.end(stop.kind === 'timeout' ? 'timed_out' : stop.kind === 'aborted' ? 'aborted' : 'failed', `${stop.message}; ${progress}`)
    }
  }

  private isNew(c: Callee): boolean {
    const authid = this.spec.new_authid
    return authid !== null ? c.session.authid === authid : !this.record.old.some((o) => o.session === c.session.id)
  }

  private async waitForNew(deadline: number): Promise<void> {
    const want = this.spec.count
    this.emit({
      event: 'waiting',
      uri: this.record.uri,
      registration: this.record.registration,
      for:
        this.spec.new_authid !== null ? `${want} new callee(s) with authid '${this.spec.new_authid}'` : `${want} new callee(s) to register`,
      have: 0,
      want,
      deadline: new Date(deadline).toISOString(),
    })
    for (;;) {
      const fresh = (this.reg()?.callees ?? []).filter((c) => this.isNew(c) && c.eligible)
      for (const c of fresh) {
        if (this.record.new_sessions.includes(c.session.id)) continue
        this.record.new_sessions.push(c.session.id)
        this.emit({
          event: 'new-callee',
          callee: { session: c.session.id, authid: c.session.authid },
          have: this.record.new_sessions.length,
          want,
        })
      }
      if (fresh.length >= want) return
      await this.nap(deadline, `only ${fresh.length} of ${want} new callee(s) came within the timeout; no callee was drained`)
    }
  }

  /** Until draining `session` leaves at least min_available callees taking calls; false if it is gone. */
  private async waitForRoom(session: number, deadline: number): Promise<boolean> {
    let told = false
    for (;;) {
      const reg = this.reg()
      if (reg === undefined || calleeOfSession(reg.callees, session) === undefined) return false
      const others = reg.callees.filter((x) => x.session.id !== session && x.eligible).length
      if (others >= this.spec.min_available) return true
      if (!told) {
        this.emit({
          event: 'holding',
          reason: `draining session ${session} now would leave ${others} callee(s) taking calls, fewer than --min-available ${this.spec.min_available}`,
        })
        told = true
      }
      await this.nap(
        deadline,
        `the timeout ran out waiting to keep --min-available ${this.spec.min_available} before draining session ${session}`,
      )
    }
  }

  private async nap(deadline: number, timeoutReason: string): Promise<void> {
    this.checkStop()
    const left = deadline - Date.now()
    if (left <= 0) throw new Stop('timeout', timeoutReason)
    await this.waker.nap(Math.min(POLL_MS, left), this.stop.signal)
  }

  private reg(): Registration | undefined {
    return this.realm.dealer.byId.get(this.record.registration)
  }
}
