import { spreadJson } from '../../ops/recent-rates.js'
import type { LiveSource } from './feed.js'
import { fmtCount, fmtRate, fmtSpread } from './format.js'
import { calleeRows, registrationRows, sortAndFilter, type SortKey } from './rows.js'

/** One NDJSON record of `wampctl top --json`: the whole picture at one instant. */
export interface TopRecord {
  at: string
  mode: 'live' | 'polling'
  registrations: Array<{
    id: number
    uri: string
    match: string
    invoke: string
    /** Over the recent window, as in `registrations list`. */
    calls_per_s: number | null
    inflight: number | null
    /** Errors in the recent window. */
    errors: number | null
    /** A number, or null: unknown, or unbounded (a callee that takes calls got none in the window). */
    spread: number | null
    calls_total: number | null
    errors_total: number | null
    callees: Array<{
      session: number
      /** The cluster node its session lives on; absent on a single router. */
      node?: string
      authid: string | null
      state: string
      weight: number | null
      calls_per_s: number | null
      share: number | null
      errors: number | null
      inflight: number | null
      p99_ms: number | null
      calls_total: number | null
      errors_total: number | null
    }>
  }>
}

const round = (v: number | null, digits = 2): number | null => (v === null ? null : Number(v.toFixed(digits)))

export function topRecord(source: LiveSource, sort: SortKey = 'calls/s', filter = '', at = new Date()): TopRecord {
  const model = source.model
  const rows = sortAndFilter(registrationRows(model), sort, filter)
  return {
    at: at.toISOString(),
    mode: source.mode,
    registrations: rows.map((r) => ({
      id: r.id,
      uri: r.uri,
      match: r.match,
      invoke: r.invoke,
      calls_per_s: round(r.rate),
      inflight: r.inflight,
      errors: r.errors,
      spread: spreadJson(r.spread),
      calls_total: r.calls_total,
      errors_total: r.errors_total,
      callees: calleeRows(model, r.id, 0).map((c) => ({
        session: c.session,
        ...(c.node !== undefined ? { node: c.node } : {}),
        authid: c.authid,
        state: c.state,
        weight: c.weight,
        calls_per_s: round(c.rate),
        share: round(c.share, 4),
        errors: c.errors,
        inflight: c.inflight,
        p99_ms: c.p99_ms,
        calls_total: c.calls,
        errors_total: c.errors_total,
      })),
    })),
  }
}

/** Plain lines for a pipe or a log: one per registration, key=value, prefixed with the time. */
export function plainLines(source: LiveSource, sort: SortKey = 'calls/s', filter = '', at = new Date()): string[] {
  const rows = sortAndFilter(registrationRows(source.model), sort, filter)
  const t = at.toISOString()
  if (rows.length === 0) return [`${t} (no registrations)`]
  return rows.map(
    (r) =>
      `${t} ${r.uri} invoke=${r.invoke} callees=${r.callees} calls/s=${fmtRate(r.rate)} inflight=${fmtCount(r.inflight)} errors=${fmtCount(r.errors)} spread=${fmtSpread(r.spread)}`,
  )
}

export interface PlainRunOptions {
  /** Print every this many ms. */
  intervalMs: number
  /** Stop after this many prints (unbounded when undefined). */
  count?: number
  json: boolean
  sort?: SortKey
  filter?: string
  write: (text: string) => void
  /** Resolves when the run should end early (a signal). */
  stop?: Promise<void>
}

/**
 * `top` without a terminal: every interval, plain lines (or one NDJSON record). Ends after
 * `count` prints, when `stop` resolves, or with an error when the connection is lost.
 */
export function runPlain(source: LiveSource, options: PlainRunOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let printed = 0
    const finish = (err?: Error): void => {
      clearInterval(timer)
      off()
      if (err !== undefined) reject(err)
      else resolve()
    }
    const timer = setInterval(() => {
      if (options.json) options.write(JSON.stringify(topRecord(source, options.sort, options.filter)) + '\n')
      else options.write(plainLines(source, options.sort, options.filter).join('\n') + '\n')
      printed++
      if (options.count !== undefined && printed >= options.count) finish()
    }, options.intervalMs)
    const off = source.onChange(() => {
      if (source.closed) finish(new Error(source.problem ?? 'the router closed the connection'))
    })
    options.stop?.then(() => finish())
  })
}
