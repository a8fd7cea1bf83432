import type { Peer } from './peers.js'

/** Meta events recorded in arrival order by a monitor session, and bounded waits on them. */

export const REGISTRATION_EVENTS = [
  'wamp.registration.on_create',
  'wamp.registration.on_register',
  'wamp.registration.on_unregister',
  'wamp.registration.on_delete',
]
export const SUBSCRIPTION_EVENTS = [
  'wamp.subscription.on_create',
  'wamp.subscription.on_subscribe',
  'wamp.subscription.on_unsubscribe',
  'wamp.subscription.on_delete',
]
export const SESSION_EVENTS = ['wamp.session.on_join', 'wamp.session.on_leave']
export const ALL_META_EVENTS = [...SESSION_EVENTS, ...REGISTRATION_EVENTS, ...SUBSCRIPTION_EVENTS]

export interface MetaEvent {
  topic: string
  args: unknown[]
}

const WAIT_MS = 5000

export class MetaRecorder {
  readonly events: MetaEvent[] = []
  private waiters: Array<() => void> = []

  private constructor(readonly monitor: Peer) {}

  /** Subscribe `monitor` to `topics` and record every event it gets. */
  static async start(monitor: Peer, topics: string[] = ALL_META_EVENTS): Promise<MetaRecorder> {
    const r = new MetaRecorder(monitor)
    for (const topic of topics) {
      await monitor.subscribe(topic, (e) => {
        r.events.push({ topic, args: e.args })
        for (const w of r.waiters.splice(0)) w()
      })
    }
    return r
  }

  /** Recorded events of one topic, in arrival order. */
  of(topic: string): MetaEvent[] {
    return this.events.filter((e) => e.topic === topic)
  }

  /** Resolves with the first recorded event passing `predicate` (waiting for it within a deadline). */
  waitFor(predicate: (e: MetaEvent) => boolean, what: string): Promise<MetaEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.find(predicate)
        if (e !== undefined) {
          clearTimeout(timer)
          resolve(e)
          return true
        }
        return false
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== retry)
        reject(new Error(`no ${what} within ${WAIT_MS} ms; recorded: ${JSON.stringify(this.events).slice(0, 1000)}`))
      }, WAIT_MS)
      const retry = (): void => {
        if (!check()) this.waiters.push(retry)
      }
      retry()
    })
  }

  /** Waits for `topic` whose args[i] equals `value` (e.g. on_leave for a session id). */
  waitForTopic(topic: string, index?: number, value?: unknown): Promise<MetaEvent> {
    return this.waitFor(
      (e) => e.topic === topic && (index === undefined || e.args[index] === value),
      `${topic}${index === undefined ? '' : ` with args[${index}] = ${String(value)}`}`,
    )
  }
}

/** Polls `check` until it holds, failing after `ms`. For states with no event to wait on. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms
  for (let attempt = 0; attempt < 10_000; attempt++) {
    if (await check()) return
    if (Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting until ${what}`)
}
