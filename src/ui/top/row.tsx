import { Box, Text } from 'ink'

export interface Cell {
  text: string
  color?: string
  bold?: boolean
  dim?: boolean
}

/**
 * One screen line as separate text cells. ink caches the size of every distinct string it lays
 * out, for the life of the process (ink#986): a whole line whose numbers change every tick would
 * add one entry per line per redraw — about 20 MB an hour for a full screen. Split where the
 * values change, each cell's text comes from a small set (a rate, a percentage, a state), and the
 * cache stops growing.
 */
export function Row({ cells, inverse = false, dim = false }: { cells: Array<Cell | string>; inverse?: boolean; dim?: boolean }) {
  return (
    <Box flexDirection="row">
      {cells.map((c, i) => {
        const cell = typeof c === 'string' ? { text: c } : c
        return (
          <Text
            key={i}
            inverse={inverse}
            color={dim ? undefined : cell.color}
            bold={cell.bold}
            dimColor={dim || cell.dim}
            wrap="truncate-end"
          >
            {cell.text}
          </Text>
        )
      })}
    </Box>
  )
}

/** Split a string into runs of the same character (a sparkline: at most 8 × width distinct runs). */
export function runs(s: string): string[] {
  const out: string[] = []
  for (const ch of s) {
    const last = out[out.length - 1]
    if (last !== undefined && last[0] === ch) out[out.length - 1] = last + ch
    else out.push(ch)
  }
  return out
}
