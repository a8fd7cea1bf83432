import { RegistrationMeta, SessionMeta } from '../../protocol/meta-uris.js'
import type { MetaClient } from '../../client/meta-client.js'
import { ExtensionUri, type CalleeStateEvent, type StatsTick } from '../../protocol/extensions.js'
import { EventLog } from './event-log.js'
import { LiveModel } from './model.js'

/** What the live views read: a model, an event log, and a change signal. */
export interface LiveSource {
  readonly model: LiveModel
  readonly events: EventLog
  /** 'live': stats ticks and meta events; 'polling': the standard meta API, polled every intervalMs. */
  readonly mode: 'live' | 'polling'
  readonly intervalMs: number
  readonly url: string
  readonly realm: string
  /** The last problem (a failed snapshot, a lost connection); null when all is well. */
  readonly problem: string | null
  /** The connection to the router is gone for good (no reconnecting): the views end with `problem` as the reason. */
  readonly closed: boolean
  /** The connection is lost and the feed is reconnecting: the model's data is stale. */
  readonly disconnected: boolean
  /** Epoch ms of the last data from the router (a snapshot or a tick); undefined before the first. */
  readonly lastUpdateAt: number | undefined
  onChange(listener: () => void): () => void
}

export interface LiveFeedOptions {
  /** Poll period against a router without the extensions, ms. Default 1000. */
  intervalMs?: number
  historyLength?: number
  window?: number
  /** Re-snapshot this long after the last structural event… Default 250 ms. */
  resnapshotDelayMs?: number
  /** …but no later than this after the first one. Default 1000 ms. */
  resnapshotMaxWaitMs?: number
  /**
   * How to open a new connection when the router goes away (re-reading the context: a restarted
   * `router start` writes a fresh admin secret). Without it the feed ends when the connection does.
   */
  reconnect?: () => Promise<MetaClient>
  /** Reconnect backoff: first wait and cap, ms. Default 250 and 5000. */
  backoffMs?: { first: number; max: number }
}

/** The wait before reconnect attempt `attempt` (0-based): doubling from `first`, capped at `max`. */
export function backoffDelay(attempt: number, first: number, max: number): number {
  return Math.min(max, first * 2 ** Math.min(attempt, 20))
}

export const META_TOPICS = [
  SessionMeta.onJoin,
  SessionMeta.onLeave,
  RegistrationMeta.onCreate,
  RegistrationMeta.onRegister,
  RegistrationMeta.onUnregister,
  RegistrationMeta.onDelete,
] as const

/**
 * The data behind `top` and `dashboard`: one snapshot, then `wampctl.stats.on_tick` for the
 * counters and the meta events for the structure; a new snapshot (debounced) only when events
 * say the structure changed or a tick names a callee the model does not know. Against a router
 * without the extensions it polls the standard meta API every `intervalMs` instead.
 * When the connection is lost and `reconnect` is given, it keeps the last data (marked stale:
 * `disconnected`), retries with backoff, and on success resubscribes and re-snapshots; the
 * views resume by themselves.
 */
export class LiveFeed implements LiveSource {
  readonly model: LiveModel
  readonly events = new EventLog()
  problem: string | null = null
  closed = false
  disconnected = false
  lastUpdateAt: number | undefined
  /** Successful reconnections. */
  reconnects = 0
  mode: 'live' | 'polling'
  intervalMs: number
  private readonly listeners = new Set<() => void>()
  private readonly unsubscribes: Array<() => Promise<void>> = []
  private timer: NodeJS.Timeout | undefined
  private poller: NodeJS.Timeout | undefined
  private firstDirtyAt: number | undefined
  private snapshotting = false
  private dirty = false
  /**
   * Removals seen while a snapshot was on its way: the snapshot may predate them (its result and
   * the event can arrive in one read, the event applied first), so they are applied again on top
   * of it. Otherwise a callee that left came back from a stale snapshot and stayed until the next
   * structural change.
   */
  private removalsDuringSnapshot: Array<() => void> = []
  private stopped = false
  private retryTimer: NodeJS.Timeout | undefined
  private ageTimer: NodeJS.Timeout | undefined
  /** Snapshots taken (the initial one included). */
  snapshots = 0

  private constructor(
    private current: MetaClient,
    mode: 'live' | 'polling',
    intervalMs: number,
    private readonly options: LiveFeedOptions,
  ) {
    this.mode = mode
    this.intervalMs = intervalMs
    this.model = new LiveModel({ historyLength: options.historyLength, window: options.window })
  }

  /** The connection in use now (a new one after each reconnect). */
  get meta(): MetaClient {
    return this.current
  }

  get url(): string {
    return this.current.client.url
  }

  get realm(): string {
    return this.current.client.realm
  }

  /** Subscribe, take the first snapshot, and keep the model current until stop(). */
  static async start(meta: MetaClient, options: LiveFeedOptions = {}): Promise<LiveFeed> {
    const caps = await meta.capabilitiesOf()
    const feed = new LiveFeed(
      meta,
      caps.extensions ? 'live' : 'polling',
      caps.extensions ? (caps.statsIntervalMs ?? 1000) : (options.intervalMs ?? 1000),
      options,
    )
    try {
      await feed.attach(meta, caps.extensions)
    } catch (err) {
      await feed.stop()
      throw err
    }
    if (feed.mode === 'polling') {
      feed.events.add('notice', `no wampctl extensions on this router: polling the standard meta API every ${feed.intervalMs} ms`)
    }
    return feed
  }

  /** Use `meta`: watch it close, subscribe, take a snapshot, start polling where needed. */
  private async attach(meta: MetaClient, extensions: boolean): Promise<void> {
    this.current = meta
    meta.client.onClose((reason) => {
      if (this.current === meta) this.lost(reason)
    })
    await this.subscribe(extensions)
    await this.takeSnapshot(true)
    if (this.mode === 'polling') {
      this.poller = setInterval(() => {
        if (!this.snapshotting) void this.takeSnapshot(false)
      }, this.intervalMs)
    }
  }

  /** The connection closed: end (no `reconnect`), or keep the data as stale and retry. */
  private lost(reason: string): void {
    if (this.stopped || this.disconnected) return
    this.stopTimers()
    // the subscriptions died with the session
    this.unsubscribes.splice(0)
    if (this.options.reconnect === undefined) {
      this.closed = true
      this.problem = `the router closed the connection (${reason})`
      this.notify()
      return
    }
    this.disconnected = true
    this.problem = `connection lost (${reason})`
    this.events.add('notice', `disconnected from ${this.url} (${reason}): retrying`)
    // the header says how old the data is: redraw once a second while disconnected
    this.ageTimer = setInterval(() => this.notify(), 1000)
    this.ageTimer.unref()
    this.scheduleReconnect(0)
    this.notify()
  }

  private scheduleReconnect(attempt: number): void {
    if (this.stopped) return
    const b = this.options.backoffMs ?? { first: 250, max: 5000 }
    this.retryTimer = setTimeout(() => void this.tryReconnect(attempt), backoffDelay(attempt, b.first, b.max))
  }

  private async tryReconnect(attempt: number): Promise<void> {
    this.retryTimer = undefined
    if (this.stopped || this.options.reconnect === undefined) return
    let meta: MetaClient | undefined
    try {
      meta = await this.options.reconnect()
      if (this.stopped) {
        await meta.client.close()
        return
      }
      const caps = await meta.capabilitiesOf()
      this.mode = caps.extensions ? 'live' : 'polling'
      this.intervalMs = caps.extensions ? (caps.statsIntervalMs ?? 1000) : (this.options.intervalMs ?? 1000)
      // a restarted router counts from zero: no rate from the counters before the gap
      this.model.resync()
      await this.attach(meta, caps.extensions)
    } catch (err) {
      if (this.stopped) return
      this.problem = `connection lost; reconnecting failed: ${(err as Error).message}`
      this.stopTimers()
      this.unsubscribes.splice(0)
      if (meta !== undefined) void meta.client.close()
      this.notify()
      this.scheduleReconnect(attempt + 1)
      return
    }
    this.disconnected = false
    this.problem = null
    this.reconnects++
    if (this.ageTimer !== undefined) clearInterval(this.ageTimer)
    this.ageTimer = undefined
    this.events.add('notice', `reconnected to ${this.url}`)
    this.notify()
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Note something the operator did (the dashboard log shows it). */
  note(text: string): void {
    this.events.add('action', text)
    this.notify()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.stopTimers()
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    if (this.ageTimer !== undefined) clearInterval(this.ageTimer)
    this.listeners.clear()
    await Promise.all(this.unsubscribes.splice(0).map((u) => u().catch(() => {})))
  }

  private stopTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.poller !== undefined) clearInterval(this.poller)
    this.timer = undefined
    this.poller = undefined
  }

  private notify(): void {
    for (const l of this.listeners) l()
  }

  private async subscribe(extensions: boolean): Promise<void> {
    const client = this.current.client
    const on = async (topic: string, handler: (args: unknown[]) => void, required: boolean): Promise<void> => {
      try {
        this.unsubscribes.push(await client.subscribe(topic, (args) => handler(args)))
      } catch (err) {
        if (required) throw err
      }
    }
    if (extensions) {
      await on(ExtensionUri.onTick, (args) => this.onTick(args[0] as StatsTick), true)
      await on(ExtensionUri.onState, (args) => this.onState(args[0] as CalleeStateEvent), true)
    }
    // Standard meta events: other routers may refuse them; the poll still shows the structure.
    for (const topic of META_TOPICS) await on(topic, (args) => this.applyMeta(topic, args), extensions)
  }

  private onTick(tick: StatsTick | undefined): void {
    if (tick === undefined || !Array.isArray(tick.callees) || this.snapshots === 0 || this.disconnected) return
    if (this.model.applyTick(tick).unknown) this.scheduleSnapshot()
    this.lastUpdateAt = Date.now()
    this.notify()
  }

  private onState(ev: CalleeStateEvent | undefined): void {
    if (ev === undefined) return
    if (this.model.applyState(ev).unknown) this.scheduleSnapshot()
    this.events.add('state', `${ev.state} ${ev.uri} ${ev.session} (${ev.cause}${ev.cause === 'set_weight' ? ` ${ev.weight}` : ''})`)
    this.notify()
  }

  /** The authid of a session the model knows as a callee; null otherwise. */
  private authidOf(session: number): string | null {
    for (const reg of this.model.registrations.values()) {
      const c = reg.callees.find((x) => x.session === session)
      if (c !== undefined) return c.authid
    }
    return null
  }

  private uriOf(registration: unknown): string {
    return typeof registration === 'number' ? (this.model.registrations.get(registration)?.uri ?? `registration ${registration}`) : '?'
  }

  /** One standard meta event as a router sent it (ours, or Crossbar's shapes: null sessions, a bare on_leave). */
  applyMeta(topic: (typeof META_TOPICS)[number], args: unknown[]): void {
    const m = this.model
    switch (topic) {
      case SessionMeta.onJoin: {
        const d = (args[0] ?? {}) as { session?: number; authid?: string; authrole?: string }
        this.events.add('join', `join ${d.session} ${d.authid ?? '?'} (${d.authrole ?? '?'})`)
        break
      }
      case SessionMeta.onLeave: {
        const [session, sent] = args as [number, string | undefined]
        // Crossbar sends only [session]: the authid is the one the model knows
        const authid = typeof sent === 'string' ? sent : this.authidOf(session)
        this.remove(() => m.removeSession(session))
        this.events.add('leave', `leave ${session}${authid !== null ? ` ${authid}` : ''}`)
        break
      }
      case RegistrationMeta.onCreate: {
        const d = (args[1] ?? {}) as { id: number; uri: string; match?: string; invoke?: string; created?: string }
        if (typeof d.id === 'number' && typeof d.uri === 'string') m.addRegistration(d)
        this.events.add('create', `create ${d.uri} (${d.invoke ?? 'single'})`)
        break
      }
      case RegistrationMeta.onRegister: {
        const [session, reg] = args as [number, number]
        this.events.add('register', `register ${this.uriOf(reg)} ${session}`)
        this.scheduleSnapshot()
        break
      }
      case RegistrationMeta.onUnregister: {
        const [session, reg] = args as [number | null, number]
        if (typeof session === 'number') {
          this.events.add('unregister', `unregister ${this.uriOf(reg)} ${session}`)
          this.remove(() => m.removeCallee(reg, session))
        } else {
          // Crossbar, after a session closed: no session named. Which callee went, a snapshot says
          // (its on_leave, when it comes, removes the session's callees too).
          this.events.add('unregister', `unregister ${this.uriOf(reg)} (a closed session)`)
          this.scheduleSnapshot()
        }
        break
      }
      case RegistrationMeta.onDelete: {
        const [, reg] = args as [number, number]
        this.events.add('delete', `delete ${this.uriOf(reg)}`)
        this.remove(() => m.removeRegistration(reg))
        break
      }
    }
    this.notify()
  }

  /** Apply a removal now, and again on top of the snapshot in flight if there is one. */
  private remove(apply: () => void): void {
    apply()
    if (this.snapshotting) this.removalsDuringSnapshot.push(apply)
  }

  /** Debounced: `resnapshotDelayMs` after the last request, at most `resnapshotMaxWaitMs` after the first. */
  private scheduleSnapshot(): void {
    if (this.stopped || this.mode === 'polling') return
    const now = Date.now()
    this.firstDirtyAt ??= now
    if (this.snapshotting) {
      this.dirty = true
      return
    }
    if (this.timer !== undefined) clearTimeout(this.timer)
    const delay = this.options.resnapshotDelayMs ?? 250
    const maxWait = this.options.resnapshotMaxWaitMs ?? 1000
    const wait = Math.max(0, Math.min(delay, this.firstDirtyAt + maxWait - now))
    this.timer = setTimeout(() => void this.takeSnapshot(false), wait)
  }

  private async takeSnapshot(initial: boolean): Promise<void> {
    this.timer = undefined
    this.firstDirtyAt = undefined
    this.dirty = false
    this.snapshotting = true
    this.removalsDuringSnapshot = []
    try {
      const snap = await this.current.snapshot()
      if (this.stopped) return
      this.model.applySnapshot(snap)
      for (const removal of this.removalsDuringSnapshot) removal()
      this.snapshots++
      this.lastUpdateAt = Date.now()
      this.problem = null
    } catch (err) {
      if (initial) throw err
      if (this.stopped || this.disconnected) return
      this.problem = `snapshot failed: ${(err as Error).message}`
    } finally {
      this.snapshotting = false
      this.removalsDuringSnapshot = []
    }
    this.notify()
    if (this.dirty) this.scheduleSnapshot()
  }
}
