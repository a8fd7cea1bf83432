import { ClusterUnavailableError, RouterError } from '../errors.js'
import type { ClusterLink } from './link.js'

/**
 * Waits before each new attempt of a KV write that failed while NATS was up: right after a NATS
 * restart JetStream answers nothing for a few seconds (the client's `TimeoutError`) before its
 * streams are back. About 7.5 s in all; past that, the next re-assertion of the node repairs it.
 */
export const WRITE_RETRY_MS = [250, 500, 1000, 2000, 4000]

/** A write that did not land after every attempt (or NATS went away meanwhile: the rejoin re-asserts it). */
export class ClusterWriteError extends Error {
  override readonly name = 'ClusterWriteError'
  readonly code = 'WAMPCTL_ERR_CLUSTER_WRITE'
}

/**
 * NATS trouble (a timeout, no responders, a closed connection, a JetStream refusal): worth another
 * try. Not a decision (a conflict rule: a RouterError other than cluster_unavailable) nor a bug in
 * this code (TypeError and the like), which are reported as they are.
 */
export function natsTrouble(err: unknown): boolean {
  if (err instanceof ClusterUnavailableError) return true
  if (err instanceof RouterError) return false
  return !(err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError)
}

/**
 * Run `op` (one KV write, idempotent), again after each of WRITE_RETRY_MS while it fails with a
 * transient error and NATS is up: each failure is a warning (`what` did not land, retrying), not
 * an internal error. Throws ClusterWriteError when it gave up (NATS away: the rejoin re-asserts
 * what this node has; all attempts failed: the next re-assertion does), and a decision's
 * RouterError as it is.
 */
export async function withRetries<T>(
  link: ClusterLink,
  what: string,
  op: () => Promise<T>,
  fields: Record<string, unknown> = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op()
    } catch (err) {
      if (!natsTrouble(err)) throw err
      const message = (err as Error).message
      if (!link.connected) throw new ClusterWriteError(`${what}: NATS is away (${message}); re-asserted when it is back`, { cause: err })
      const wait = WRITE_RETRY_MS[attempt]
      if (wait === undefined) {
        link.log.warn(`cluster: ${what} did not land after ${attempt + 1} attempts; given up until this node re-asserts its entries`, {
          node: link.node,
          error: message,
          ...fields,
        })
        throw new ClusterWriteError(`${what}: ${message}`, { cause: err })
      }
      const quiet = quieted(link)
      if (quiet !== undefined)
        link.log.warn(`cluster: ${what} did not land (NATS not ready yet?); retrying in ${wait} ms`, {
          node: link.node,
          error: `${(err as Error).name}: ${message}`,
          attempt: attempt + 1,
          ...(quiet > 0 ? { similar_warnings_not_logged: quiet } : {}),
          ...fields,
        })
      await new Promise<void>((resolve) => setTimeout(resolve, wait).unref())
    }
  }
}

/** At most one "retrying" warning per link per this many ms: after a NATS restart every session's write may time out at once. */
const RETRY_WARNING_MS = 1000

const retryWarnings = new WeakMap<ClusterLink, { at: number; quieted: number }>()

/** undefined: this warning is not logged (one was, less than RETRY_WARNING_MS ago); else how many were not since the last one. */
function quieted(link: ClusterLink): number | undefined {
  const now = performance.now()
  const w = retryWarnings.get(link)
  if (w !== undefined && now - w.at < RETRY_WARNING_MS) {
    w.quieted++
    return undefined
  }
  const n = w?.quieted ?? 0
  retryWarnings.set(link, { at: now, quieted: 0 })
  return n
}
