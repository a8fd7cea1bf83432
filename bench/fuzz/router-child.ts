import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Router } from '../../src/router/router.js'

/**
 * The router under fuzz, in its own process (bench/fuzz.ts forks it): counts the internal errors
 * it logs, samples its RSS every 20 ms for the peak, and answers the parent's 'report' with
 * them and the calls still in flight (router-side, every session of every realm).
 */

export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'report'; internalErrors: string[]; peakRssBytes: number; rssBytes: number; inflight: number; sessions: number }
  | { type: 'stall'; maxMs: number }

// The router's own event-loop stalls: what one frame costs every other session.
const loopDelay = monitorEventLoopDelay({ resolution: 5 })
loopDelay.enable()
let peakRss = process.memoryUsage.rss()
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20)
const internalErrors: string[] = []
const router = new Router({ logger: { info: () => {}, warn: () => {}, error: (m) => internalErrors.push(m) } })

function tell(m: ChildMessage): void {
  process.send?.(m)
}

process.on('message', (m: { type: 'report' | 'stop' | 'stall' }) => {
  if (m.type === 'stall') {
    // The longest event-loop delay since the last ask.
    tell({ type: 'stall', maxMs: loopDelay.max / 1e6 })
    loopDelay.reset()
  } else if (m.type === 'report') {
    global.gc?.()
    let inflight = 0
    let sessions = 0
    for (const realm of router.realms.values()) {
      for (const s of realm.sessions.values()) {
        sessions++
        inflight += s.calls.size + s.invocations.size
      }
    }
    const rss = process.memoryUsage.rss()
    tell({
      type: 'report',
      internalErrors: internalErrors.slice(0, 20),
      peakRssBytes: Math.max(peakRss, rss),
      rssBytes: rss,
      inflight,
      sessions,
    })
  } else {
    clearInterval(sampler)
    void router.close().then(() => process.exit(0))
  }
})

await router.listen({ host: '127.0.0.1', port: 0 })
tell({ type: 'ready', url: router.url })
