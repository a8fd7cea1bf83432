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
  /** The connection to the router is gone (the views end with `problem` as the reason). */
  readonly closed: boolean
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
}

const META_TOPICS = [
  'wamp.session.on_join',
  'wamp.session.on_leave',
  'wamp.registration.on_create',
  'wamp.registration.on_register',
  'wamp.registration.on_unregister',
  'wamp.registration.on_delete',
] as const

/**
 * The data behind `top` and `dashboard`: one snapshot, then `wampctl.stats.on_tick` for the
 * counters and the meta events for the structure; a new snapshot (debounced) only when events
 * say the structure changed or a tick names a callee the model does not know. Against a router
 * without the extensions it polls the standard meta API every `intervalMs` instead.
 */
export class LiveFeed implements LiveSource {
  readonly model: LiveModel
  readonly events = new EventLog()
  problem: string | null = null
  closed = false
  private readonly listeners = new Set<() => void>()
  private readonly unsubscribes: Array<() => Promise<void>> = []
  private timer: NodeJS.Timeout | undefined
  private poller: NodeJS.Timeout | undefined
  private firstDirtyAt: number | undefined
  private snapshotting = false
  private dirty = false
  private stopped = false
  /** Snapshots taken (the initial one included). */
  snapshots = 0

  private constructor(
    private readonly meta: MetaClient,
    readonly mode: 'live' | 'polling',
    readonly intervalMs: number,
    private readonly options: LiveFeedOptions,
  ) {
    this.model = new LiveModel({ historyLength: options.historyLength, window: options.window })
  }

  get url(): string {
    return this.meta.client.url
  }

  get realm(): string {
    return this.meta.client.realm
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
    meta.client.onClose((reason) => {
      feed.closed = true
      feed.problem = `the router closed the connection (${reason})`
      feed.stopTimers()
      feed.notify()
    })
    try {
      await feed.subscribe(caps.extensions)
      await feed.takeSnapshot(true)
    } catch (err) {
      await feed.stop()
      throw err
    }
    if (feed.mode === 'polling') {
      feed.events.add('notice', `no wampctl extensions on this router: polling the standard meta API every ${feed.intervalMs} ms`)
      feed.poller = setInterval(() => {
        if (!feed.snapshotting) void feed.takeSnapshot(false)
      }, feed.intervalMs)
    }
    return feed
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
    this.listeners.clear()
    await Promise.all(this.unsubscribes.splice(0).map((u) => u()))
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
    const client = this.meta.client
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
    for (const topic of META_TOPICS) await on(topic, (args) => this.onMeta(topic, args), extensions)
  }

  private onTick(tick: StatsTick | undefined): void {
    if (tick === undefined || !Array.isArray(tick.callees) || this.snapshots === 0) return
    if (this.model.applyTick(tick).unknown) this.scheduleSnapshot()
    this.notify()
  }

  private onState(ev: CalleeStateEvent | undefined): void {
    if (ev === undefined) return
    if (this.model.applyState(ev).unknown) this.scheduleSnapshot()
    this.events.add('state', `${ev.state} ${ev.uri} ${ev.session} (${ev.cause}${ev.cause === 'set_weight' ? ` ${ev.weight}` : ''})`)
    this.notify()
  }

  private uriOf(registration: unknown): string {
    return typeof registration === 'number' ? (this.model.registrations.get(registration)?.uri ?? `registration ${registration}`) : '?'
  }

  private onMeta(topic: (typeof META_TOPICS)[number], args: unknown[]): void {
    const m = this.model
    switch (topic) {
      case 'wamp.session.on_join': {
        const d = (args[0] ?? {}) as { session?: number; authid?: string; authrole?: string }
        this.events.add('join', `join ${d.session} ${d.authid ?? '?'} (${d.authrole ?? '?'})`)
        break
      }
      case 'wamp.session.on_leave': {
        const [session, authid] = args as [number, string | undefined]
        m.removeSession(session)
        this.events.add('leave', `leave ${session}${authid !== undefined ? ` ${authid}` : ''}`)
        break
      }
      case 'wamp.registration.on_create': {
        const d = (args[1] ?? {}) as { id: number; uri: string; match?: string; invoke?: string; created?: string }
        if (typeof d.id === 'number' && typeof d.uri === 'string') m.addRegistration(d)
        this.events.add('create', `create ${d.uri} (${d.invoke ?? 'single'})`)
        break
      }
      case 'wamp.registration.on_register': {
        const [session, reg] = args as [number, number]
        this.events.add('register', `register ${this.uriOf(reg)} ${session}`)
        this.scheduleSnapshot()
        break
      }
      case 'wamp.registration.on_unregister': {
        const [session, reg] = args as [number, number]
        this.events.add('unregister', `unregister ${this.uriOf(reg)} ${session}`)
        m.removeCallee(reg, session)
        break
      }
      case 'wamp.registration.on_delete': {
        const [, reg] = args as [number, number]
        this.events.add('delete', `delete ${this.uriOf(reg)}`)
        m.removeRegistration(reg)
        break
      }
    }
    this.notify()
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
    try {
      const snap = await this.meta.snapshot()
      if (this.stopped) return
      this.model.applySnapshot(snap)
      this.snapshots++
      this.problem = null
    } catch (err) {
      if (initial) throw err
      if (this.stopped) return
      this.problem = `snapshot failed: ${(err as Error).message}`
    } finally {
      this.snapshotting = false
    }
    this.notify()
    if (this.dirty) this.scheduleSnapshot()
  }
}
