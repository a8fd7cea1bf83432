/** Cell formatting shared by the read-side tables. null/undefined stay null (renderTable prints '-'). */

export function fixed(v: number | null | undefined, digits = 1): string | null {
  return v === null || v === undefined ? null : v.toFixed(digits)
}

/** A spread ratio: '1.00x' (the same form in every table and live view), '∞' when unbounded. */
export function ratio(v: number | null | undefined): string | null {
  if (v === null || v === undefined) return null
  return Number.isFinite(v) ? `${v.toFixed(2)}x` : '∞'
}

/** Milliseconds, compact: '0.42', '12.3', '1500'. */
export function millis(v: number | null | undefined): string | null {
  if (v === null || v === undefined) return null
  return v < 1 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)
}

/** A share 0..1 as a percentage: '33.3%'. */
export function percent(v: number | null | undefined): string | null {
  return v === null || v === undefined ? null : `${(v * 100).toFixed(1)}%`
}

/** Local wall-clock time of an ISO timestamp (or Date): '14:03:07'. */
export function clock(at: string | Date): string {
  const d = typeof at === 'string' ? new Date(at) : at
  if (Number.isNaN(d.getTime())) return String(at)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** Tidy text for a table cell: null when absent. */
export function text(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/** `1 registration`, `2 registrations`, `0 calls`: a count with its noun, singular only for 1. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`
}
