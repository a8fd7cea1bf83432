import type { KV, KvWatchEntry } from '@nats-io/kv'
import type { QueuedIterator } from '@nats-io/nats-core'
import { markKey } from './keys.js'
import type { MarkRecord } from './records.js'
import { pack } from './wire.js'

/** Applies the changes of the keys under one prefix (`reg`, `ses`, `sub`) to this node's state. */
export interface KeyHandler {
  /**
   * `key` changed at `revision`; `value` undefined when it was deleted. Called synchronously, in
   * the bucket's order (the same order on every node), once per change: handlers derive meta
   * events from the difference between what they had and `value`.
   */
  apply(key: string, value: Uint8Array | undefined, revision: number): void
}

/**
 * A node's replica of one realm's KV bucket: one watch, dispatched by key prefix. The bucket's
 * stream is totally ordered, so every node applies the same changes in the same order.
 */
export class RealmReplica {
  /** Revision of the last change applied. */
  revision = 0
  private readonly handlers = new Map<string, KeyHandler>()
  private readonly waiters: Array<{ revision: number; resolve: () => void }> = []
  private watch: QueuedIterator<KvWatchEntry> | undefined

  constructor(
    private readonly kv: KV,
    private readonly onError: (err: unknown, context: string) => void,
  ) {}

  /** `prefix` is the key's first token (keys.ts KeyPrefix). */
  handle(prefix: string, handler: KeyHandler): void {
    this.handlers.set(prefix, handler)
  }

  /**
   * Start the watch; resolves once every change made before it started is applied (a marker key
   * written after the watch began has come through), so the node serves on a complete replica.
   */
  async start(node: string, incarnation: string): Promise<void> {
    this.watch = await this.kv.watch()
    void this.pump(this.watch)
    await this.catchUp(node, incarnation)
  }

  /** Resolves once every change made before now is applied here (this node's marker key, written now, has come through). */
  async catchUp(node: string, incarnation: string): Promise<void> {
    const mark: MarkRecord = { node, incarnation, at: Date.now() }
    const revision = await this.kv.put(markKey(node), pack(mark))
    await this.applied(revision)
  }

  /** Resolves once the change at `revision` (a write of this node) has been applied here. */
  applied(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve()
    return new Promise((resolve) => {
      this.waiters.push({ revision, resolve })
    })
  }

  stop(): void {
    this.watch?.stop()
    this.watch = undefined
    // Writes that will never be seen now: whoever waits on them goes on (the node is closing).
    for (const w of this.waiters.splice(0)) w.resolve()
  }

  private async pump(watch: QueuedIterator<KvWatchEntry>): Promise<void> {
    try {
      for await (const e of watch) this.apply(e)
    } catch (err) {
      this.onError(err, 'cluster replica watch')
    }
  }

  private apply(e: KvWatchEntry): void {
    const dot = e.key.indexOf('.')
    const handler = this.handlers.get(dot < 0 ? e.key : e.key.slice(0, dot))
    if (handler !== undefined) {
      try {
        handler.apply(e.key, e.operation === 'PUT' ? e.value : undefined, e.revision)
      } catch (err) {
        this.onError(err, `cluster replica: applying ${e.key}`)
      }
    }
    if (e.revision > this.revision) this.revision = e.revision
    if (this.waiters.length > 0) {
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!
        if (w.revision <= this.revision) {
          this.waiters.splice(i, 1)
          w.resolve()
        }
      }
    }
  }
}
