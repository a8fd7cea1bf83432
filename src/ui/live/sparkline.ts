const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const

/**
 * A sparkline of `values` in unicode blocks (▁…█), scaled to `max` (default: the largest value),
 * right-aligned in `width` cells (older samples that do not fit are dropped; missing ones are
 * blank). Zero is the lowest block, so an idle callee still shows a flat line.
 */
export function sparkline(values: number[], width: number, max?: number): string {
  const shown = values.slice(-width)
  const top = max ?? shown.reduce((m, v) => (v > m ? v : m), 0)
  let out = ' '.repeat(Math.max(0, width - shown.length))
  for (const v of shown) {
    const level = top > 0 ? Math.round((Math.max(0, v) / top) * (BLOCKS.length - 1)) : 0
    out += BLOCKS[Math.min(BLOCKS.length - 1, level)]
  }
  return out
}
