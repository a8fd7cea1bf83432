import { UsageError } from '../client/errors.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y
/** Longest duration accepted: a day (a drain timeout longer than that is a typo). */
export const MAX_DURATION_MS = 86_400_000

/**
 * A duration as operators type it: `500ms`, `30s`, `2m`, `1h`, or a sum such as `1m30s`.
 * A unit is required (a bare `30` is refused: seconds or milliseconds?). Returns milliseconds.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const t = text.trim()
  const bad = (why: string): UsageError => new UsageError(`bad ${what} '${text}': ${why} (examples: 500ms, 30s, 2m, 1m30s)`)
  if (t.length === 0) throw bad('empty')
  if (/^\d+(\.\d+)?$/.test(t)) throw bad('give a unit')
  let ms = 0
  PART.lastIndex = 0
  while (PART.lastIndex < t.length) {
    const at = PART.lastIndex
    const m = PART.exec(t)
    if (m === null) throw bad(`cannot read '${t.slice(at)}'`)
    ms += Number(m[1]) * UNIT_MS[m[2]!]!
  }
  ms = Math.round(ms)
  if (ms <= 0) throw bad('must be more than 0')
  if (ms > MAX_DURATION_MS) throw bad('longer than a day')
  return ms
}

/** `1500` → `1.5s`, `90000` → `1m30s`, `250` → `250ms`: the way parseDuration reads it back. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return s === 0 ? `${m}m` : `${m}m${s}s`
}
