/** Cell text for the live views: short, fixed meaning, "-" for unknown. */

export function fmtRate(v: number | null): string {
  if (v === null) return '-'
  if (v >= 10_000) return `${(v / 1000).toFixed(1)}k`
  if (v >= 100) return v.toFixed(0)
  return v.toFixed(1)
}

export function fmtCount(v: number | null): string {
  if (v === null) return '-'
  if (v >= 10_000_000) return `${(v / 1_000_000).toFixed(1)}M`
  if (v >= 100_000) return `${(v / 1000).toFixed(0)}k`
  return String(v)
}

/** Spread as a ratio: "1.04x"; "∞" when an active callee got nothing. */
export function fmtSpread(v: number | null): string {
  if (v === null) return '-'
  if (!Number.isFinite(v)) return '∞'
  return `${v.toFixed(2)}x`
}

export function fmtMs(v: number | null): string {
  if (v === null) return '-'
  return v >= 100 ? v.toFixed(0) : v.toFixed(1)
}

export function fmtShare(v: number | null): string {
  return v === null ? '-' : `${Math.round(v * 100)}%`
}

/** Pad or cut to exactly `width` columns (cut text ends with "…"). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  const chars = [...text]
  if (chars.length > width) return width === 1 ? '…' : chars.slice(0, width - 1).join('') + '…'
  const pad = ' '.repeat(width - chars.length)
  return align === 'left' ? text + pad : pad + text
}
