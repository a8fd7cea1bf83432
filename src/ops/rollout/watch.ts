import { ConnectError, WampctlError } from '../../client/errors.js'
import type { RolloutClient } from '../../client/rollout-client.js'
import type { RolloutEvent, RolloutRecord, RolloutSpec, RolloutUpdate } from '../../protocol/rollout.js'
import { steeringHint } from './outcome.js'

export interface WatchOptions {
  /** Every event of the rollout as it comes (the views draw these). */
  onEvent?: (e: RolloutEvent, rollout: RolloutRecord) => void
  /** Ctrl-C: stop watching (the rollout goes on in the router). */
  signal?: AbortSignal
  /** The record as it was when watching began (a rollout picked up midway: the views start from it). */
  onRecord?: (rollout: RolloutRecord) => void
}

/** The watcher was told to stop: the rollout goes on in the router. */
export class StoppedWatching extends WampctlError {
  constructor(uri: string) {
    super(steeringHint(uri), 'WAMPCTL_INTERRUPTED', 130)
  }
}

/**
 * Follow one rollout until it ends, from its wampctl.rollout.on_update events. Subscribes before
 * it asks (so nothing between the two is lost), then either submits `spec` or reads the status
 * of `uri`; events of other rollouts are ignored. Resolves with the final record.
 */
export async function followRollout(
  rc: RolloutClient,
  target: { spec: RolloutSpec; detach?: boolean } | { uri: string },
  options: WatchOptions = {},
): Promise<RolloutRecord> {
  const uri = 'spec' in target ? target.spec.uri : target.uri
  if ('spec' in target && target.detach === true) return rc.start(target.spec)
  let id: string | null = null
  const early: RolloutUpdate[] = []
  let deliver: ((u: RolloutUpdate) => void) | null = null
  const unsubscribe = await rc.onUpdate((u) => {
    if (u.uri !== uri) return
    if (deliver === null) early.push(u)
    else deliver(u)
  })
  try {
    const record = 'spec' in target ? await rc.start(target.spec) : await rc.status(uri)
    id = record.id
    if (record.outcome !== null) return record
    options.onRecord?.(record)
    return await new Promise<RolloutRecord>((resolve, reject) => {
      const onAbort = (): void => reject(new StoppedWatching(uri))
      if (options.signal?.aborted) return onAbort()
      options.signal?.addEventListener('abort', onAbort, { once: true })
      rc.client.onClose(() =>
        reject(new ConnectError(`lost the router while watching; ${steeringHint(uri).replace(/^stopped watching; /, '')}`)),
      )
      deliver = (u) => {
        if (u.id !== id) return
        options.onEvent?.(u.event, u.rollout)
        if (u.event.event === 'completed') {
          options.signal?.removeEventListener('abort', onAbort)
          resolve(u.rollout)
        }
      }
      for (const u of early.splice(0)) deliver(u)
    })
  } finally {
    await unsubscribe()
  }
}
