import { UsageError } from '../client/errors.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y
/** Longest duration accepted: a day (a drain timeout longer than that is a typo). */
export const MAX_DURATION_MS = 86_400_000

export interface DurationRules {
  /**
   * What a bare number means: 'ms' for the flags that always took milliseconds (`call --timeout
   * 500`, `top --interval 2000`), so old scripts keep working; null (the default) refuses it
   * (seconds or milliseconds?).
   */
  bare?: 'ms' | null
  /** Accept 0 (e.g. "no sampling"). Default false. */
  zero?: boolean
  /** Smallest accepted, ms. */
  minMs?: number
}

/**
 * A duration as operators type it: `500ms`, `30s`, `2m`, `1h`, or a sum such as `1m30s`, and a
 * bare number where `rules.bare` says what it means. The one parser of every time flag. Returns
 * milliseconds; anything else is a UsageError (exit 2) naming `what`.
 */
export function parseDuration(text: string, what = 'duration', rules: DurationRules = {}): number {
  const t = text.trim()
  const bad = (why: string): UsageError => new UsageError(`bad ${what} '${text}': ${why} (examples: 500ms, 30s, 2m, 1m30s)`)
  if (t.length === 0) throw bad('empty')
  if (/^\d+(\.\d+)?$/.test(t)) {
    if (rules.bare !== 'ms') throw bad('give a unit')
    return checkRange(Math.round(Number(t)), rules, bad)
  }
  return checkRange(sumOfParts(t, bad), rules, bad)
}

function checkRange(ms: number, rules: DurationRules, bad: (why: string) => UsageError): number {
  if (ms === 0 && rules.zero === true) return 0
  if (ms <= 0) throw bad('must be more than 0')
  if (rules.minMs !== undefined && ms < rules.minMs) throw bad(`must be at least ${formatDuration(rules.minMs)}`)
  if (ms > MAX_DURATION_MS) throw bad('longer than a day')
  return ms
}

function sumOfParts(t: string, bad: (why: string) => UsageError): number {
  let ms = 0
  PART.lastIndex = 0
  while (PART.lastIndex < t.length) {
    const at = PART.lastIndex
    const m = PART.exec(t)
    if (m === null) throw bad(`cannot read '${t.slice(at)}'`)
    ms += Number(m[1]) * UNIT_MS[m[2]!]!
  }
  return Math.round(ms)
}

/** `1500` → `1.5s`, `90000` → `1m30s`, `250` → `250ms`: the way parseDuration reads it back. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return s === 0 ? `${m}m` : `${m}m${s}s`
}
