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
  private stopped = false
  private rewatching: Promise<void> | undefined

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

  /**
   * Start the watch again from the next revision. Its consumer lives on one NATS server (an
   * ordered consumer has one replica): when that server dies the watch goes silent, and the client
   * library notices only after two missed idle heartbeats (10 s or more). Called when a sign of a
   * lost server comes (this node or another reconnected to NATS, the bucket's stream elected a new
   * leader); harmless when the old watch was fine (changes already applied are skipped). Retries
   * while the stream has no leader; resolves once the new watch runs (or the replica stopped).
   */
  rewatch(): Promise<void> {
    this.rewatching ??= (async () => {
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          const watch = await this.kv.watch({ resumeFromRevision: this.revision + 1 })
          if (this.stopped) return watch.stop()
          this.watch?.stop()
          this.watch = watch
          void this.pump(watch)
          return
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(REWATCH_BACKOFF_MS * attempt, REWATCH_MAX_WAIT_MS)))
        }
      }
    })().finally(() => (this.rewatching = undefined))
    return this.rewatching
  }

  stop(): void {
    this.stopped = true
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
    // The library gave this watch up (its consumer could not be made again): a new one.
    if (watch === this.watch && !this.stopped) void this.rewatch()
  }

  private apply(e: KvWatchEntry): void {
    // Already applied: a watch started again from a revision the previous one had reached.
    if (e.revision <= this.revision) return
    const dot = e.key.indexOf('.')
    const handler = this.handlers.get(dot < 0 ? e.key : e.key.slice(0, dot))
    if (handler !== undefined) {
      try {
        handler.apply(e.key, e.operation === 'PUT' ? e.value : undefined, e.revision)
      } catch (err) {
        this.onError(err, `cluster replica: applying ${e.key}`)
      }
    }
    this.revision = e.revision
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

/** A new watch while the bucket's stream has no leader fails: tried again after 250 ms, 500 ms, … at most 2 s apart. */
const REWATCH_BACKOFF_MS = 250
const REWATCH_MAX_WAIT_MS = 2000
