export interface Column<Row> {
  header: string
  /** Cell text for a row. */
  get: (row: Row) => string | number | null | undefined
  align?: 'left' | 'right'
}

/** Two spaces between columns, as kubectl prints them. */
const GAP = '  '

/**
 * An aligned, borderless table (kubectl style): header row, then one line per row. Null and
 * undefined print as "-" (unknown, e.g. statistics from a router without the extensions).
 * Linear in the number of cells (one pass to measure, one to pad), so 10,000 rows print at once;
 * plain text, never coloured, lines without trailing blanks.
 */
export function renderTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const cells: string[][] = [columns.map((c) => c.header)]
  for (const r of rows) cells.push(columns.map((c) => cell(c.get(r))))
  const widths = columns.map((c) => displayWidth(c.header))
  for (const line of cells) {
    for (let i = 0; i < line.length; i++) {
      const w = displayWidth(line[i]!)
      if (w > widths[i]!) widths[i] = w
    }
  }
  const last = columns.length - 1
  const out: string[] = new Array<string>(cells.length)
  for (let n = 0; n < cells.length; n++) {
    const line = cells[n]!
    let s = ''
    for (let i = 0; i <= last; i++) {
      const text = line[i]!
      const pad = ' '.repeat(widths[i]! - displayWidth(text))
      const right = columns[i]!.align === 'right'
      s += (i === 0 ? '' : GAP) + (right ? pad + text : i === last ? text : text + pad)
    }
    out[n] = s.trimEnd()
  }
  return out.join('\n')
}

/**
 * `node` as the second column when some row carries a node (a cluster: which node a session or
 * callee lives on); without one (a single router) the table is exactly `columns`.
 */
export function withNodeColumn<Row extends { node?: string | null }>(
  columns: Column<Row>[],
  rows: Row[],
  node: Column<Row>,
): Column<Row>[] {
  if (!rows.some((r) => r.node !== undefined && r.node !== null)) return columns
  return [columns[0]!, node, ...columns.slice(1)]
}

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '-'
  // A cell is one line: a newline or tab in a URI or authid would break the columns.
  return String(v).replace(/[\n\r\t]/g, ' ')
}

/**
 * Columns a string takes in a terminal: one per code point, except combining marks (0) and East
 * Asian wide characters (2). ASCII, the common case, is measured without a scan.
 */
export function displayWidth(s: string): number {
  if (/^[\x20-\x7e]*$/.test(s)) return s.length
  let w = 0
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200b) continue
    w += isWide(cp) ? 2 : 1
  }
  return w
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
}

/** A proportional bar of `width` cells for a share in [0, 1]. */
export function bar(share: number, width = 20): string {
  const n = Math.max(0, Math.min(width, Math.round(share * width)))
  return '█'.repeat(n) + '·'.repeat(width - n)
}
