import { UsageError } from '../../client/errors.js'
import type { StepSpec } from '../../protocol/rollout.js'
import { parseDuration } from '../duration.js'

/**
 * `10,pause:5m,50,pause,100` → traffic steps and pauses: rising percentages ending at 100; a pause
 * holds the share of the step before it, for a time (`pause:5m`) or until `rollout promote` or
 * `rollout resume` (`pause`).
 */
export function parseSteps(text: string): StepSpec[] {
  const parts = text.split(',').map((s) => s.trim())
  const bad = (why: string): UsageError => new UsageError(`bad --steps '${text}': ${why} (example: 10,pause:5m,50,pause,100)`)
  const out: StepSpec[] = []
  let last = 0
  for (const p of parts) {
    if (p === 'pause') {
      if (last === 0) throw bad('a pause comes after a traffic step')
      out.push({ pause_ms: null })
      continue
    }
    if (p.startsWith('pause:')) {
      if (last === 0) throw bad('a pause comes after a traffic step')
      out.push({ pause_ms: parseDuration(p.slice('pause:'.length), '--steps pause') })
      continue
    }
    const n = Number(p.replace(/%$/, ''))
    if (p.length === 0 || !Number.isFinite(n)) throw bad('give comma-separated percentages and pauses')
    if (n <= 0 || n > 100) throw bad('every step is a percentage above 0 and at most 100')
    if (n <= last) throw bad('steps must rise')
    last = n
    out.push({ percent: n })
  }
  const end = out[out.length - 1]
  if (end === undefined || !('percent' in end) || end.percent !== 100)
    throw bad('the last step must be 100 (the canary takes all the traffic)')
  return out
}

/** The steps as the operator wrote them: `10,pause:5m,50,100`. */
export function formatSteps(steps: StepSpec[]): string {
  return steps.map((s) => ('percent' in s ? String(s.percent) : s.pause_ms === null ? 'pause' : `pause:${s.pause_ms}ms`)).join(',')
}

/** `0.01` or `1%` → 0.01. */
export function parseRate(text: string, what: string): number {
  const t = text.trim()
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t)
  if (t.length === 0 || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`bad ${what} '${text}': a fraction from 0 to 1 (0.01) or a percentage (1%)`)
  return n
}

/** 0.0125 → "1.25%". */
export function pct(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`
}
