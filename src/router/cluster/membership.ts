import type { Subscription } from '@nats-io/transport-node'
import type { NatsLinkState } from '../../protocol/cluster.js'
import type { Logger } from '../config.js'
import { withinMs, type ClusterLink, type LinkState } from './link.js'
import { FORGET_DEAD_AFTER_TIMEOUTS } from './options.js'
import { pack, unpack } from './wire.js'

/** What a node says of one realm in its heartbeat. */
export interface RealmLoad {
  /** Sessions connected to this node. */
  sessions: number
  /** Calls its callees answered per second over the recent window. */
  calls_per_s: number
}

/** `<name>.hb`, every `heartbeatMs`: a node is alive, and how it is doing. */
export interface Heartbeat {
  kind: 'beat'
  node: string
  incarnation: string
  /** ISO 8601. */
  started_at: string
  /** Its WAMP listener, once listening. */
  url: string | null
  nats: NatsLinkState
  /** By realm name. */
  realms: Record<string, RealmLoad>
  /** Fingerprint of its realms, roles and auth (config-fingerprint.ts): every node should have the same. */
  config?: string
  /** How many times its NATS link came back (its link epoch): a change says what it held in flight was given up. */
  link?: number
}

/** A node's last word on a clean stop: the others act on its departure at once, not after the timeout. */
export interface Departure {
  kind: 'leave'
  node: string
  incarnation: string
}

/**
 * Sent by a node once it has cleaned up after `node` (`incarnation`) it declared dead. If that node
 * is in fact alive (it was cut off or stalled), it learns that its entries were removed and re-asserts them.
 */
export interface DownNotice {
  kind: 'down'
  by: string
  node: string
  incarnation: string
}

export type MembershipMessage = Heartbeat | Departure | DownNotice

/** What this node knows of one node's life: from its heartbeats, and whether it is alive. */
interface NodeFacts {
  node: string
  incarnation: string
  startedAt: string
  url: string | null
  nats: NatsLinkState
  realms: Record<string, RealmLoad>
  /** Fingerprint of its realms, roles and auth; null when it did not say (a node of an older version). */
  config: string | null
  /** alive: heard within the node timeout (or just met); dead: silent past it. */
  state: 'alive' | 'dead'
}

/** One node as this node sees it. */
export interface NodeView extends NodeFacts {
  self: boolean
  /** Since its last heartbeat, ms (0 for this node). */
  lastSeenMs: number
}

/**
 * `(node, incarnation)`. A down listener may return a promise (its cleanup); the node tells the
 * dead one it is done once every listener's promise settled (DownNotice).
 */
export type NodeListener = (node: string, incarnation: string) => void | Promise<void>

/** A node in this node's table. */
interface Entry extends NodeFacts {
  /** Its link epoch, as its last heartbeat said. */
  link: number
  /** Heard at least one heartbeat of this incarnation (else only known from the KV: see expect()). */
  heard: boolean
  /** performance.now() of its last heartbeat (or of when a silence started to count). */
  lastHeard: number
  /** This node's link epoch when its last heartbeat came: heard since this node's last (re)connection? */
  heardEpoch: number
}

/** What membership needs from the rest of the node. */
export interface MembershipHost {
  /** This node's load per realm, for its heartbeat. */
  load(): Record<string, RealmLoad>
  /** Fingerprint of this node's realms, roles and auth, for its heartbeat. */
  config: string
  log: Logger
  onError: (err: unknown, context: string) => void
}

/**
 * The cluster's members as this node sees them (docs/cluster.md, "Failures"): every node beats a
 * heartbeat on `<name>.hb`; a node silent past `nodeTimeoutMs` is down, and so is the previous
 * life of a node heard with a new incarnation. Each part of the node does its own cleanup in
 * `onNodeDown`. This node's own silences do not kill the others: while its NATS link is away or
 * its event loop was held up, it could not hear them, so each gets a fresh timeout from then.
 */
export class Membership {
  private readonly table = new Map<string, Entry>()
  private readonly downListeners = new Set<NodeListener>()
  private readonly upListeners = new Set<NodeListener>()
  private readonly relinkListeners = new Set<(node: string) => void>()
  private readonly rejoinHooks = new Set<() => void | Promise<void>>()
  private readonly declaredDownListeners = new Set<(by: string) => void>()
  private sub: Subscription | undefined
  private beatTimer: NodeJS.Timeout | undefined
  private sweepTimer: NodeJS.Timeout | undefined
  private lastSweep = 0
  private url: string | null = null
  private stopped = false
  private rejoining: Promise<void> | undefined
  private rejoinAgain = false
  private unwatchLink: (() => void) | undefined
  /** Counts this node's reconnections to NATS. */
  private linkEpoch = 0
  private readonly sweepMs: number

  constructor(
    private readonly link: ClusterLink,
    private readonly host: MembershipHost,
  ) {
    // Often enough that a death is seen close to the timeout; a sweep is O(nodes).
    this.sweepMs = Math.max(50, Math.min(this.link.settings.heartbeatMs, this.link.settings.nodeTimeoutMs / 20))
  }

  get node(): string {
    return this.link.node
  }

  get incarnation(): string {
    return this.link.incarnation
  }

  get nodeTimeoutMs(): number {
    return this.link.settings.nodeTimeoutMs
  }

  /** Listen to the others and start beating. */
  start(): void {
    this.sub = this.link.nc.subscribe(this.link.subjects.heartbeat, {
      callback: (err, msg) => {
        if (err !== null) return
        try {
          this.receive(unpack<MembershipMessage>(msg.data))
        } catch (e) {
          this.host.onError(e, 'cluster membership: a heartbeat')
        }
      },
    })
    this.unwatchLink = this.link.onState((s) => this.linkChanged(s))
    this.lastSweep = performance.now()
    this.beat()
    this.beatTimer = setInterval(() => this.beat(), this.link.settings.heartbeatMs)
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepMs)
    this.beatTimer.unref()
    this.sweepTimer.unref()
  }

  /** Its WAMP listener's URL, for the heartbeats (the node joins before it listens). */
  setUrl(url: string): void {
    this.url = url
    this.beat()
  }

  /** `node` went down: silent past the node timeout, departed, or heard again with a new incarnation (`incarnation` is the old one). */
  onNodeDown(listener: NodeListener): () => void {
    this.downListeners.add(listener)
    return () => this.downListeners.delete(listener)
  }

  /** `node` is up: first heard, a new life of it, or heard again after it was declared down. */
  onNodeUp(listener: NodeListener): () => void {
    this.upListeners.add(listener)
    return () => this.upListeners.delete(listener)
  }

  /**
   * `node` (the same life) lost its NATS link and got it back, maybe through another NATS server:
   * it gave up the calls it had in flight from and to other nodes then (forwarding.ts), and what
   * was sent to it meanwhile was lost. Said by its first heartbeat after it reconnected.
   */
  onNodeRelinked(listener: (node: string) => void): () => void {
    this.relinkListeners.add(listener)
    return () => this.relinkListeners.delete(listener)
  }

  /**
   * Run after this node was cut off from the others (NATS reconnected, or another node declared it
   * down and removed its entries): each part re-asserts its own entries. Coalesced: never two runs at once.
   */
  onRejoin(hook: () => void | Promise<void>): () => void {
    this.rejoinHooks.add(hook)
    return () => this.rejoinHooks.delete(hook)
  }

  /**
   * Another node (`by`) declared this one dead and has cleaned up after it: it gave up every call
   * between the two. Called before the rejoin it causes.
   */
  onDeclaredDown(listener: (by: string) => void): () => void {
    this.declaredDownListeners.add(listener)
    return () => this.declaredDownListeners.delete(listener)
  }

  /**
   * Alive: this node, a node heard within the timeout, or one known from the KV and not yet silent
   * past the timeout. In a down listener, `alive(node)` is true when a new life of it already
   * beats: that life removes its previous life's KV entries itself.
   */
  alive(node: string): boolean {
    if (node === this.node) return true
    return this.table.get(node)?.state === 'alive'
  }

  /**
   * Messages to `node` can arrive now: NATS is up here, and `node` was heard since this node's
   * link last (re)connected (so it is connected too, with its subscriptions in place). Right after
   * a NATS restart a node that has not reconnected yet would lose what is sent to it: calls to it
   * should fail fast (unavailable) until it is heard.
   */
  reachable(node: string): boolean {
    if (!this.link.connected) return false
    if (node === this.node) return true
    const e = this.table.get(node)
    return e !== undefined && e.state === 'alive' && e.heard && e.heardEpoch === this.linkEpoch
  }

  /** The incarnation of `node` this node knows of, if any. */
  incarnationOf(node: string): string | undefined {
    return node === this.node ? this.incarnation : this.table.get(node)?.incarnation
  }

  /** Every node heard from (alive or dead), this one included, by name. */
  nodes(): NodeView[] {
    const now = performance.now()
    const views: NodeView[] = [
      {
        node: this.node,
        incarnation: this.incarnation,
        startedAt: this.link.startedAt.toISOString(),
        url: this.url,
        nats: this.link.state,
        realms: this.host.load(),
        config: this.host.config,
        state: 'alive',
        self: true,
        lastSeenMs: 0,
      },
    ]
    for (const e of this.table.values()) {
      if (!e.heard) continue
      views.push({
        node: e.node,
        incarnation: e.incarnation,
        startedAt: e.startedAt,
        url: e.url,
        nats: e.nats,
        realms: e.realms,
        config: e.config,
        state: e.state,
        self: false,
        lastSeenMs: Math.max(0, Math.round(now - e.lastHeard)),
      })
    }
    return views.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
  }

  /**
   * `node` (`incarnation`) holds entries in the KV (its replica marker): if it does not beat within
   * the node timeout from now, it is declared down, so that what a node that died while nobody
   * watched left behind is removed too.
   */
  expect(node: string, incarnation: string): void {
    if (node === this.node || this.table.has(node) || this.stopped) return
    this.table.set(node, {
      node,
      incarnation,
      startedAt: '',
      url: null,
      nats: 'closed',
      realms: {},
      config: null,
      link: 0,
      state: 'alive',
      heard: false,
      lastHeard: performance.now(),
      heardEpoch: -1,
    })
  }

  /**
   * Resolves once every node thought alive has been heard since this node's (re)connection, or
   * after `timeoutMs`. A starting node waits for it before it serves: until a node is heard, calls
   * to its callees are refused as unreachable (see reachable()), and a node that just started must
   * not refuse callees that are fine only because their first heartbeat is still on its way.
   */
  async heardFromAll(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs
    const pending = (): boolean =>
      [...this.table.values()].some((e) => e.state === 'alive' && !(e.heard && e.heardEpoch === this.linkEpoch))
    for (let i = 0; i < Math.ceil(timeoutMs / HEARD_POLL_MS) + 1 && pending() && performance.now() < deadline; i++) {
      await new Promise((r) => setTimeout(r, HEARD_POLL_MS))
    }
  }

  /** A clean stop: say so (the others act at once) and stop beating. */
  async leave(): Promise<void> {
    if (this.stopped) return
    this.stop()
    if (!this.link.connected) {
      // Nothing can be said now: the others declare it down after the node timeout (once they hear NATS again).
      this.host.log.warn('cluster: NATS is away; leaving without a word (the others will see the node timeout)', { node: this.node })
      return
    }
    const bye: Departure = { kind: 'leave', node: this.node, incarnation: this.incarnation }
    try {
      this.link.nc.publish(this.link.subjects.heartbeat, pack(bye))
    } catch (err) {
      this.host.log.warn('cluster: could not announce the departure', { node: this.node, error: (err as Error).message })
      return
    }
    // Bounded: a NATS that stopped answering must not hold the exit (the others then see the node timeout).
    const flushed = this.link.nc.flush().then(
      () => true,
      () => false,
    )
    if (!(await withinMs(flushed, DEPARTURE_FLUSH_MS)))
      this.host.log.warn('cluster: the departure may not have reached the others; they will see the node timeout', { node: this.node })
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.beatTimer)
    clearInterval(this.sweepTimer)
    this.unwatchLink?.()
    this.sub?.unsubscribe()
    this.sub = undefined
  }

  private beat(): void {
    // While NATS is away a heartbeat would only be buffered and arrive stale.
    if (this.stopped || !this.link.connected) return
    const hb: Heartbeat = {
      kind: 'beat',
      node: this.node,
      incarnation: this.incarnation,
      started_at: this.link.startedAt.toISOString(),
      url: this.url,
      nats: this.link.state,
      realms: this.host.load(),
      config: this.host.config,
      link: this.linkEpoch,
    }
    try {
      this.link.nc.publish(this.link.subjects.heartbeat, pack(hb))
    } catch (err) {
      this.host.onError(err, 'cluster membership: beating')
    }
  }

  private receive(m: MembershipMessage): void {
    if (this.stopped) return
    if (m.kind === 'down') {
      if (m.node === this.node && m.incarnation === this.incarnation) {
        this.host.log.warn('cluster: another node declared this node down and removed its entries; re-asserting them', {
          node: this.node,
          by: m.by,
        })
        for (const l of this.declaredDownListeners) {
          try {
            l(m.by)
          } catch (err) {
            this.host.onError(err, 'cluster: declared down')
          }
        }
        this.rejoin()
      }
      return
    }
    if (m.node === this.node) {
      if (m.incarnation !== this.incarnation)
        this.host.log.error('cluster: another process uses this node name; node names must be unique', { node: this.node })
      return
    }
    const e = this.table.get(m.node)
    if (m.kind === 'beat') this.compareConfig(m, e)
    if (m.kind === 'leave') {
      if (e === undefined || e.incarnation !== m.incarnation) return
      this.table.delete(m.node)
      this.host.log.info('cluster: node left', { node: m.node })
      if (e.state === 'alive') void this.down(m.node, m.incarnation, false)
      return
    }
    if (e === undefined) {
      this.table.set(m.node, this.entryOf(m))
      this.host.log.info('cluster: node up', { node: m.node, incarnation: m.incarnation })
      this.up(m.node, m.incarnation)
      return
    }
    if (e.incarnation !== m.incarnation) {
      // A new life: the previous one is down (its sessions are gone), then the new one is up.
      const old = e.incarnation
      const wasAlive = e.state === 'alive'
      Object.assign(e, this.entryOf(m))
      this.host.log.warn('cluster: node restarted', { node: m.node, incarnation: m.incarnation, previous: old })
      if (wasAlive) void this.down(m.node, old, true)
      this.up(m.node, m.incarnation)
      return
    }
    const wasDead = e.state === 'dead'
    const firstHeard = !e.heard
    const relinked = e.heard && !wasDead && e.link !== (m.link ?? 0)
    Object.assign(e, this.entryOf(m))
    if (relinked) {
      this.host.log.info('cluster: node reconnected to NATS', { node: m.node, link_epoch: e.link })
      for (const l of this.relinkListeners) {
        try {
          l(m.node)
        } catch (err) {
          this.host.onError(err, `cluster: node ${m.node} reconnected`)
        }
      }
    }
    if (wasDead) {
      this.host.log.warn('cluster: node declared down is heard again: a new life of it', { node: m.node, incarnation: m.incarnation })
      this.up(m.node, m.incarnation)
    } else if (firstHeard) {
      this.host.log.info('cluster: node up', { node: m.node, incarnation: m.incarnation })
      this.up(m.node, m.incarnation)
    }
  }

  /**
   * Every node should run the same realms, roles and auth (they are not replicated): say so once
   * when a node (or a new life of it) runs another configuration, or changes to another one. Not a
   * refusal: a rolling change of the config file passes through a mixed cluster.
   */
  private compareConfig(hb: Heartbeat, known: Entry | undefined): void {
    const config = hb.config ?? null
    if (config === null || config === this.host.config) return
    if (known !== undefined && known.heard && known.incarnation === hb.incarnation && known.config === config) return
    this.host.log.warn(
      'cluster: a node runs another configuration (realms, roles, auth) than this node; start every node with the same config file',
      {
        node: hb.node,
        config,
        this_node: this.node,
        this_config: this.host.config,
      },
    )
  }

  private entryOf(hb: Heartbeat): Entry {
    return {
      node: hb.node,
      incarnation: hb.incarnation,
      startedAt: hb.started_at,
      url: hb.url,
      nats: hb.nats,
      realms: hb.realms,
      config: hb.config ?? null,
      link: hb.link ?? 0,
      state: 'alive',
      heard: true,
      lastHeard: performance.now(),
      heardEpoch: this.linkEpoch,
    }
  }

  private sweep(): void {
    if (this.stopped) return
    const now = performance.now()
    const late = now - this.lastSweep
    this.lastSweep = now
    // Cut off from NATS, this node hears nobody: that is not their death.
    if (!this.link.connected) return
    if (late > Math.max(2 * this.sweepMs, this.nodeTimeoutMs / 4)) {
      // This node's event loop was held up: heartbeats may be waiting unread. Fresh timeouts for all.
      this.host.log.warn('cluster: this node was held up; giving every node a fresh timeout', { node: this.node, ms: Math.round(late) })
      this.refresh(now)
      return
    }
    for (const e of this.table.values()) {
      if (e.state === 'dead' && now - e.lastHeard > FORGET_DEAD_AFTER_TIMEOUTS * this.nodeTimeoutMs) {
        // Listed as dead long enough for an operator to see it went; heard again, it is met anew.
        this.table.delete(e.node)
        this.host.log.info('cluster: forgot a node dead for long', { node: e.node, incarnation: e.incarnation })
        continue
      }
      if (e.state !== 'alive' || now - e.lastHeard <= this.nodeTimeoutMs) continue
      e.state = 'dead'
      this.host.log.warn('cluster: node silent past the node timeout: down', {
        node: e.node,
        incarnation: e.incarnation,
        silent_ms: Math.round(now - e.lastHeard),
      })
      void this.down(e.node, e.incarnation, true)
    }
  }

  private refresh(now: number): void {
    for (const e of this.table.values()) if (e.state === 'alive') e.lastHeard = now
  }

  private linkChanged(state: LinkState): void {
    if (state !== 'connected' || this.stopped) return
    this.linkEpoch++
    // Back from a NATS outage: nobody could be heard meanwhile. Fresh timeouts, say we are here,
    // and let each part re-assert what this node holds (the store may have lost or removed it).
    this.refresh(performance.now())
    this.beat()
    this.rejoin()
  }

  private up(node: string, incarnation: string): void {
    for (const l of this.upListeners) {
      try {
        const r = l(node, incarnation)
        if (r instanceof Promise) r.catch((err: unknown) => this.host.onError(err, `cluster: node ${node} up`))
      } catch (err) {
        this.host.onError(err, `cluster: node ${node} up`)
      }
    }
  }

  private async down(node: string, incarnation: string, notify: boolean): Promise<void> {
    const work: Array<Promise<void>> = []
    for (const l of this.downListeners) {
      try {
        const r = l(node, incarnation)
        if (r instanceof Promise) work.push(r.catch((err: unknown) => this.host.onError(err, `cluster: cleaning up after node ${node}`)))
      } catch (err) {
        this.host.onError(err, `cluster: cleaning up after node ${node}`)
      }
    }
    await Promise.all(work)
    if (!notify || this.stopped || !this.link.connected) return
    const notice: DownNotice = { kind: 'down', by: this.node, node, incarnation }
    try {
      this.link.nc.publish(this.link.subjects.heartbeat, pack(notice))
    } catch (err) {
      this.host.onError(err, 'cluster membership: down notice')
    }
  }

  /**
   * Re-assert this node's entries now (the rejoin hooks, in order: sessions, subscribers, callees):
   * after a reconnection, a DownNotice, or when a part sees another node remove a live entry of
   * this one. Coalesced: a request during a run makes one more run after it.
   */
  rejoin(): void {
    if (this.rejoining !== undefined) {
      this.rejoinAgain = true
      return
    }
    this.rejoining = (async () => {
      do {
        this.rejoinAgain = false
        for (const hook of [...this.rejoinHooks]) {
          if (this.stopped) return
          try {
            await hook()
          } catch (err) {
            this.host.onError(err, 'cluster: re-asserting this node after a rejoin')
          }
        }
      } while (this.rejoinAgain && !this.stopped)
    })().finally(() => {
      this.rejoining = undefined
    })
  }
}

/** Most a leaving node waits for NATS to confirm its departure message. */
const DEPARTURE_FLUSH_MS = 500

/** How often heardFromAll() looks at the node table. */
const HEARD_POLL_MS = 25
