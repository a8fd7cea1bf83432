import { UsageError } from '../../client/errors.js'

/** `1,5,25,50,100` → [1, 5, 25, 50, 100]: rising percentages, the last one 100. */
export function parseSteps(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim().replace(/%$/, ''))
  const steps = parts.map(Number)
  const bad = (why: string): UsageError => new UsageError(`bad --steps '${text}': ${why} (example: 1,5,25,50,100)`)
  if (parts.some((p) => p.length === 0) || steps.some((n) => !Number.isFinite(n))) throw bad('give comma-separated percentages')
  if (steps.some((n) => n <= 0 || n > 100)) throw bad('every step is a percentage above 0 and at most 100')
  for (let i = 1; i < steps.length; i++) if (steps[i]! <= steps[i - 1]!) throw bad('steps must rise')
  if (steps[steps.length - 1] !== 100) throw bad('the last step must be 100 (the canary takes all the traffic)')
  return steps
}

/** `0.01` or `1%` → 0.01. */
export function parseRate(text: string, what: string): number {
  const t = text.trim()
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t)
  if (t.length === 0 || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`bad ${what} '${text}': a fraction from 0 to 1 (0.01) or a percentage (1%)`)
  return n
}

/**
 * The canary weight that gives it `percent` of the traffic next to old callees whose weights add
 * up to `oldSum`: canary / (canary + oldSum) = percent / 100. Under 100 only (at 100 the old
 * callees go to weight 0 instead). Six significant digits: the router takes fractional weights.
 */
export function canaryWeight(percent: number, oldSum: number): number {
  if (!(percent > 0 && percent < 100)) throw new RangeError(`canaryWeight: percent must be above 0 and below 100, not ${percent}`)
  if (!(oldSum > 0)) throw new RangeError('canaryWeight: the old callees must have some weight')
  return Number(((oldSum * percent) / (100 - percent)).toPrecision(6))
}

/** The share of the traffic a weight gets next to others (0..1). */
export function shareOf(weight: number, others: number): number {
  return weight + others === 0 ? 0 : weight / (weight + others)
}
