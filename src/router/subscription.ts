import type { MatchPolicy } from './uri.js'
import type { Session } from './session.js'

/** A subscription: keyed by (topic, match policy), one id shared by all its subscribers. */
export class Subscription {
  readonly subscribers = new Set<Session>()
  readonly createdAt = new Date()

  constructor(
    readonly id: number,
    readonly uri: string,
    readonly match: MatchPolicy,
  ) {}

  get created(): string {
    return this.createdAt.toISOString()
  }

  details(): { id: number; created: string; uri: string; match: MatchPolicy } {
    return { id: this.id, created: this.created, uri: this.uri, match: this.match }
  }

  /** Session ids of its subscribers, in the order they subscribed. */
  sessions(): number[] {
    return [...this.subscribers].map((s) => s.id)
  }
}
