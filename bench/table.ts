/** A table as headers + rows of cells, rendered as aligned text (terminal) or Markdown (RESULTS.md). */
export interface Table {
  headers: string[]
  rows: string[][]
  /** Columns aligned right (numbers). */
  right?: ReadonlySet<number>
}

export function renderText(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (t.right?.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(t.headers), widths.map((w) => '─'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n')
}

export function renderMarkdown(t: Table): string {
  const sep = t.headers.map((_, i) => (t.right?.has(i) ? '---:' : '---'))
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [line(t.headers), line(sep), ...t.rows.map(line)].join('\n')
}

/** 12345.6 → "12,346"; fixed decimals below 100. */
export function num(x: number, decimals = 0): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '—'
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
