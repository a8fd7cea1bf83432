import type { Hook } from '@oclif/core'

/**
 * oclif's `command_not_found` hook: a typo'd command gets one `wampctl:` line with the closest
 * command (`wampctl drian` → `did you mean drain?`), or one JSON error object with --json, and exit
 * 2 (a usage error), instead of oclif's own "command drian not found".
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const typed = opts.id.split(':').join(' ')
  const suggestion = closestCommand(
    typed,
    opts.config.commandIDs.map((id) => id.split(':').join(' ')),
  )
  const message = `"${typed}" is not a wampctl command; ${suggestion === null ? 'see wampctl --help' : `did you mean ${suggestion}?`}`
  process.exitCode = 2
  if (opts.argv?.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ error: { code: 'WAMPCTL_USAGE', message, exit: 2 } }, null, 2)}\n`)
  } else {
    process.stderr.write(`wampctl: ${message}\n`)
  }
  return undefined
}

export default hook

/**
 * The command closest to `typed` by edit distance (an adjacent swap counts as one edit), when
 * it is close enough to be the same word mistyped: at most 2 edits, and at most a third of its length.
 */
export function closestCommand(typed: string, commands: string[]): string | null {
  let best: string | null = null
  let bestDistance = Infinity
  for (const c of commands) {
    const d = editDistance(typed, c)
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  if (best === null) return null
  return bestDistance <= Math.min(2, Math.max(1, Math.floor(best.length / 3))) ? best : null
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}
