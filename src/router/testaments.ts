import type { TestamentScope } from '../protocol/testament.js'
import type { Args, Dict, Kwargs } from './inbound.js'

/** One testament: an event the router publishes for a session once it is gone. */
export interface Testament {
  topic: string
  args: Args
  kwargs: Kwargs
  /** PUBLISH.Options for the event (acknowledge is meaningless here and ignored). */
  options: Dict
}

/**
 * A session's testaments, in the two buckets the spec keeps apart (this router has no session
 * resumption, so both are published when the session ends: `detached` first, then `destroyed`).
 * Owned by the session; taken exactly once when it leaves.
 */
export class Testaments {
  private readonly buckets: Record<TestamentScope, Testament[]> = { detached: [], destroyed: [] }

  add(scope: TestamentScope, testament: Testament): void {
    this.buckets[scope].push(testament)
  }

  /** Forget the testaments of `scope`; how many there were. */
  flush(scope: TestamentScope): number {
    const n = this.buckets[scope].length
    this.buckets[scope] = []
    return n
  }

  count(scope: TestamentScope): number {
    return this.buckets[scope].length
  }

  /** Every testament in publication order, emptying both buckets (so they go out once). */
  take(): Testament[] {
    const all = [...this.buckets.detached, ...this.buckets.destroyed]
    this.buckets.detached = []
    this.buckets.destroyed = []
    return all
  }
}
