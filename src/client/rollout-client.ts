import { ErrorUri } from '../protocol/error-uris.js'
import { RolloutUri, type RolloutRecord, type RolloutSpec, type RolloutUpdate, type UndoResult } from '../protocol/rollout.js'
import type { WampClient } from './connection.js'
import { CallError, UnsupportedError } from './errors.js'

/**
 * The router's rollout controller (`wampctl.rollout.*`), typed. Rollouts run in the router: this
 * only submits, reads, steers and follows them. A router without the controller (ours with its
 * extensions off, Crossbar, Nexus…) answers no_such_procedure: UnsupportedError, one plain line.
 */
export class RolloutClient {
  constructor(readonly client: WampClient) {}

  private async one<T>(procedure: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<T> {
    try {
      const r = await this.client.call(procedure, args, kwargs)
      return r.args[0] as T
    } catch (err) {
      if (err instanceof CallError && err.uri === ErrorUri.noSuchProcedure) {
        throw new UnsupportedError(
          `the router at ${this.client.url} cannot run rollouts: it does not serve ${procedure} (a wampctl router with its extensions on runs them)`,
        )
      }
      throw err
    }
  }

  start(spec: RolloutSpec): Promise<RolloutRecord> {
    return this.one(RolloutUri.start, [spec])
  }

  status(uri: string): Promise<RolloutRecord> {
    return this.one(RolloutUri.status, [uri])
  }

  list(): Promise<RolloutRecord[]> {
    return this.one(RolloutUri.list)
  }

  history(uri?: string): Promise<RolloutRecord[]> {
    return this.one(RolloutUri.history, uri === undefined ? [] : [uri])
  }

  abort(uri: string): Promise<RolloutRecord> {
    return this.one(RolloutUri.abort, [uri])
  }

  pause(uri: string): Promise<RolloutRecord> {
    return this.one(RolloutUri.pause, [uri])
  }

  resume(uri: string): Promise<RolloutRecord> {
    return this.one(RolloutUri.resume, [uri])
  }

  promote(uri: string, full = false): Promise<RolloutRecord> {
    return this.one(RolloutUri.promote, [uri, { full }])
  }

  undo(uri: string): Promise<UndoResult> {
    return this.one(RolloutUri.undo, [uri])
  }

  /** Every update of every rollout of the realm; returns the unsubscribe function. */
  onUpdate(handler: (u: RolloutUpdate) => void): Promise<() => Promise<void>> {
    return this.client.subscribe(RolloutUri.onUpdate, (args) => handler(args[0] as RolloutUpdate))
  }
}
