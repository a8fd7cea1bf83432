import Table from 'cli-table3'

export interface Column<Row> {
  header: string
  /** Cell text for a row. */
  get: (row: Row) => string | number | null | undefined
  align?: 'left' | 'right'
}

/**
 * An aligned, borderless table (kubectl style): header row, then one line per row. Null and
 * undefined print as "-" (unknown, e.g. statistics from a router without the extensions).
 */
export function renderTable<Row>(columns: Column<Row>[], rows: Row[]): string {
  const t = new Table({
    head: columns.map((c) => c.header),
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    colAligns: columns.map((c) => c.align ?? 'left'),
  })
  for (const r of rows) t.push(columns.map((c) => cell(c.get(r))))
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
}

function cell(v: string | number | null | undefined): string {
  return v === null || v === undefined ? '-' : String(v)
}

/** A proportional bar of `width` cells for a share in [0, 1]. */
export function bar(share: number, width = 20): string {
  const n = Math.max(0, Math.min(width, Math.round(share * width)))
  return '█'.repeat(n) + '·'.repeat(width - n)
}
