import type { WampClient } from '../../client/connection.js'

export interface LoadMix {
  uri: string
  /** Relative share of the calls. */
  weight: number
  args: () => unknown[]
}

export interface LoadOptions {
  /** Calls per second in total. */
  rate: number
  mix: LoadMix[]
  /** Never more than this many calls in flight (a slow callee does not make the load pile up). Default 100. */
  maxInflight?: number
  /** Calls are sent in batches this often. Default 50 ms. */
  periodMs?: number
}

export interface LoadStats {
  sent: number
  ok: number
  failed: number
  skipped: number
}

export interface RunningLoad {
  readonly stats: LoadStats
  /** Stop sending; resolves once the calls in flight finished (at most `graceMs`). */
  stop(graceMs?: number): Promise<void>
}

/** A steady, bounded call rate from one caller session, spread over procedures by weight. */
export function startLoad(client: WampClient, options: LoadOptions): RunningLoad {
  const periodMs = options.periodMs ?? 50
  const maxInflight = options.maxInflight ?? 100
  const total = options.mix.reduce((n, m) => n + m.weight, 0)
  const stats: LoadStats = { sent: 0, ok: 0, failed: 0, skipped: 0 }
  let inflight = 0
  let credit = 0
  let stopped = false
  let idle: (() => void) | undefined

  const pick = (): LoadMix => {
    let r = Math.random() * total
    for (const m of options.mix) {
      r -= m.weight
      if (r < 0) return m
    }
    return options.mix[options.mix.length - 1]!
  }

  let last = performance.now()
  const timer = setInterval(() => {
    // Credit by elapsed time, not by timer firings: a late timer must not lower the rate.
    const now = performance.now()
    credit = Math.min(credit + (options.rate * (now - last)) / 1000, options.rate)
    last = now
    while (credit >= 1) {
      credit -= 1
      if (inflight >= maxInflight || !client.isOpen) {
        stats.skipped++
        continue
      }
      const m = pick()
      inflight++
      stats.sent++
      client
        .call(m.uri, m.args())
        .then(
          () => {
            stats.ok++
          },
          () => {
            stats.failed++
          },
        )
        .finally(() => {
          inflight--
          if (inflight === 0) idle?.()
        })
    }
  }, periodMs)

  return {
    stats,
    async stop(graceMs = 2000) {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      if (inflight === 0) return
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs)
        idle = () => {
          clearTimeout(t)
          resolve()
        }
      })
    },
  }
}
