import type { RolloutEvent, RolloutRecord } from '../../../protocol/rollout.js'

/** A steering verb sent to the node that runs a rollout. */
export type SteerVerb = 'pause' | 'resume' | 'promote' | 'abort'

/** What a cluster node's store says of one URI: who runs its rollout, and its finished ones. */
export interface StoredRollouts {
  /** The node running it; null while nobody does (handed over, not yet taken). */
  owner: string | null
  /** The running rollout (as last written by its node), null when none runs. */
  running: RolloutRecord | null
  /** Finished rollouts, newest first. */
  history: RolloutRecord[]
}

/**
 * Where a cluster node keeps its realm's rollouts (cluster/rollouts.ts: the realm's KV bucket, a
 * replica on every node). The controller runs the rollouts this node owns and writes each change
 * here; it reads the others' here. Absent on a single router, which keeps them in memory.
 */
export interface RolloutStore {
  /** This node's name. */
  readonly node: string
  /** What the replica holds for `uri`. */
  of(uri: string): StoredRollouts | undefined
  /** Every URI the replica holds. */
  all(): Iterable<StoredRollouts>
  /** Make this node the owner of the new rollout `record` (compare-and-set); RolloutRefusedError when one runs already. */
  claim(record: RolloutRecord): Promise<void>
  /** The record changed (`event`, null: none to publish): written for every node, and the event sent to their subscribers. */
  changed(record: RolloutRecord, event: RolloutEvent | null): void
  /** The rollout ended: out of `running`, first in the history. */
  finished(record: RolloutRecord): void
  /** This node stops (SIGTERM): its running rollouts are left for another node to take over. Resolves once written. */
  handOver(records: RolloutRecord[]): Promise<void>
  /** Ask `owner` to steer its rollout of `uri`; the record after it. */
  steer(owner: string, verb: SteerVerb, uri: string, by: string, full: boolean): Promise<RolloutRecord>
  /** Is `node` alive (membership)? */
  alive(node: string): boolean
  /** Some other node has a subscriber to wampctl.rollout.on_update. */
  remoteWatchers(): boolean
}

/** What the store needs from the controller of its realm (cluster/rollouts.ts). */
export interface RolloutOwner {
  /** Run `record` from where it is: this node took it over (`why`: the node that ran it is down, or stopped and handed it over). */
  adopt(record: RolloutRecord, why: string): void
  /** Another node asks this one to steer a rollout it runs. */
  steerHere(verb: SteerVerb, uri: string, by: string, full: boolean): Promise<RolloutRecord>
  /** Another node took over rollout `id` of `uri` (this node was thought dead): stop running it here, silently. True if it ran here. */
  lost(uri: string, id: string): boolean
}
