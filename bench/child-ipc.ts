/**
 * The router side of the bench's parent ↔ router-child protocol (see RouterMessage). Shared by
 * serve-wampctl.ts and serve-fox-wamp.ts so both routers are started, sampled and stopped alike.
 */
export type RouterMessage =
  | { type: 'ready'; port: number; path: string; /** The URL to load, when not ws://127.0.0.1:port/path. */ url?: string }
  | { type: 'usage'; userUs: number; systemUs: number; rssBytes: number; eventsDropped?: number }
  | { type: 'error'; message: string }

export type ParentMessage = { type: 'usage' } | { type: 'stop' }

export interface ServedRouter {
  listen(): Promise<{ port: number; path: string; url?: string }>
  close(): Promise<void>
  /** Events the router dropped under overload, when it counts them (wampctl). */
  eventsDropped?(): number
}

export function serveChild(router: ServedRouter): void {
  const tell = (m: RouterMessage): void => {
    process.send?.(m)
  }
  let stopping = false
  const stop = (code: number): void => {
    if (stopping) return
    stopping = true
    // close() is bounded by the routers themselves; this is the backstop.
    setTimeout(() => process.exit(code), 2000).unref()
    router.close().then(
      () => process.exit(code),
      () => process.exit(code),
    )
  }
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'usage') {
      const cpu = process.cpuUsage()
      tell({
        type: 'usage',
        userUs: cpu.user,
        systemUs: cpu.system,
        rssBytes: process.memoryUsage.rss(),
        eventsDropped: router.eventsDropped?.(),
      })
    } else if (m.type === 'stop') {
      stop(0)
    }
  })
  process.on('SIGTERM', () => stop(0))
  process.on('SIGINT', () => stop(0))
  // A router child must never outlive the bench.
  process.on('disconnect', () => stop(0))
  router.listen().then(
    (where) => tell({ type: 'ready', ...where }),
    (err: unknown) => {
      tell({ type: 'error', message: `router failed to listen: ${err instanceof Error ? err.message : String(err)}` })
      process.exit(1)
    },
  )
}
