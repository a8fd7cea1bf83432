import type { Subscription } from '@nats-io/transport-node'
import type { StatsTick } from '../../protocol/extensions.js'
import type { ClusterLink } from './link.js'
import { pack, unpack } from './wire.js'

type CalleeTuple = StatsTick['callees'][number]

/** One node's part of a tick: its own callees that moved, and its own queue lengths that changed. */
interface TickPart {
  node: string
  callees: CalleeTuple[]
  queued: Array<[number, number]>
}

/**
 * wampctl.stats.on_tick for the whole realm. Each node ticks its own callees (their statistics
 * live there) and, while another node has a subscriber, sends what moved to the other nodes
 * (`<name>.tick.<realm>`, one message per node per interval, only when something moved). Each node's ticker then publishes to its own
 * subscribers one merged tick: its own callees, plus the latest values the other nodes sent since
 * its previous tick. The tuples are cumulative values, so a part that arrives a tick late only
 * moves a callee's calls to the next tick; nothing is counted twice. Queue lengths are per node:
 * the merged tick carries each registration's sum over the nodes.
 */
export class ClusterTicks {
  /** (registration, session) → latest tuple from another node, since this node's previous tick. */
  private readonly pending = new Map<string, CalleeTuple>()
  /** node → registration → calls waiting in that node's queue (the latest it said). */
  private readonly queuedByNode = new Map<string, Map<number, number>>()
  /** Registrations whose queue length changed on another node since this node's previous tick. */
  private readonly queuedChanged = new Set<number>()
  private readonly sub: Subscription

  constructor(
    private readonly link: ClusterLink,
    private readonly realm: string,
  ) {
    this.sub = link.nc.subscribe(link.subjects.ticks(realm), {
      callback: (err, msg) => {
        if (err === null) this.receive(unpack<TickPart>(msg.data))
      },
    })
  }

  /** Send this node's part to the others (nothing when nothing moved). */
  share(callees: CalleeTuple[], queued: Array<[number, number]>): void {
    if ((callees.length === 0 && queued.length === 0) || !this.link.connected) return
    const part: TickPart = { node: this.link.node, callees, queued }
    this.link.nc.publish(this.link.subjects.ticks(this.realm), pack(part))
  }

  /**
   * This node's tick for its subscribers: `own` (its callees that moved) plus what the other nodes
   * sent since; `localQueued(id)` is this node's queue of registration `id`. Resets what was pending.
   */
  merge(
    own: CalleeTuple[],
    ownQueued: Array<[number, number]>,
    localQueued: (id: number) => number,
  ): Pick<StatsTick, 'callees' | 'queued'> {
    const callees = own.slice()
    for (const t of this.pending.values()) callees.push(t)
    this.pending.clear()
    const changed = new Set<number>(this.queuedChanged)
    this.queuedChanged.clear()
    for (const [id] of ownQueued) changed.add(id)
    const queued: Array<[number, number]> = []
    for (const id of changed) {
      let n = localQueued(id)
      for (const m of this.queuedByNode.values()) n += m.get(id) ?? 0
      queued.push([id, n])
    }
    return queued.length > 0 ? { callees, queued } : { callees }
  }

  /** A node is gone: forget its queues (its callees leave through the registry). */
  forgetNode(node: string): void {
    const m = this.queuedByNode.get(node)
    if (m === undefined) return
    for (const id of m.keys()) this.queuedChanged.add(id)
    this.queuedByNode.delete(node)
  }

  close(): void {
    this.sub.unsubscribe()
  }

  private receive(part: TickPart): void {
    if (part.node === this.link.node) return
    for (const t of part.callees) this.pending.set(`${t[0]}:${t[1]}`, t)
    if (part.queued.length === 0) return
    let m = this.queuedByNode.get(part.node)
    if (m === undefined) this.queuedByNode.set(part.node, (m = new Map()))
    for (const [id, n] of part.queued) {
      if (n === 0) m.delete(id)
      else m.set(id, n)
      this.queuedChanged.add(id)
    }
  }
}
