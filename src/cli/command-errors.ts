import { WampctlError } from '../client/errors.js'

/** What a command failed with, as oclif hands it to `catch` (oclif's own errors carry an exit code). */
export type CommandFailure = Error & { exitCode?: number; oclif?: { exit?: number } }

/** `--json` output: plain JSON, never coloured, one object per run. */
export function writeJson(json: unknown): void {
  process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
}

/**
 * A failed command, reported the one wampctl way: exit code (1 error, 2 usage, and the codes of
 * WampctlError), one `wampctl: …` line on stderr or, with --json, one error object on stdout; the
 * stack only with WAMPCTL_DEBUG. Shared by every command (src/cli/base-command.ts) and the start-up
 * fast path (src/cli/fast-path.ts), so both answer alike.
 */
export function reportCommandError(err: CommandFailure, json: boolean): void {
  const code = err instanceof WampctlError ? err.exitCode : (err.oclif?.exit ?? (isParseError(err) ? 2 : 1))
  if (code === 0) return // oclif's --help / --version exits
  process.exitCode = code
  const message = oneLine(err.message)
  if (json) {
    writeJson({
      error: { code: err instanceof WampctlError ? err.code : code === 2 ? 'WAMPCTL_USAGE' : 'WAMPCTL_ERROR', message, exit: code },
    })
  } else {
    process.stderr.write(`wampctl: ${message}\n`)
  }
  if (process.env.WAMPCTL_DEBUG && err.stack) process.stderr.write(`${err.stack}\n`)
}

function isParseError(err: Error): boolean {
  return (
    /Nonexistent flag|Unexpected argument|Missing required|Expected .* to be one of|Parsing --/.test(err.message) ||
    err.name === 'CLIParseError'
  )
}

/**
 * One line for stderr. oclif's parse errors span lines ("Parsing --count" / "Expected an integer…",
 * "The following error occurred:" / "All of the following must be provided…", "Missing 1 required
 * arg:" / "session  …", "See more help…"): their substance is joined, their boilerplate dropped.
 */
function oneLine(s: string): string {
  const all = s.split('\n').map((l) => l.replace(/^\s*Error:\s*/, '').trim())
  const validation = all.some((l) => /^The following errors? occurred:$/.test(l))
  const lines = all.filter((l) => l.length > 0 && !/^The following errors? occurred:$/.test(l) && !/^See more help with --help$/.test(l))
  if (lines.length === 0) return s.trim()
  const [first, ...rest] = lines as [string, ...string[]]
  if (validation) return lines.join('; ')
  // A flag's own parser (durations) names the flag already: "Parsing --timeout" adds nothing.
  if (rest.length > 0 && /^Parsing --\S+$/.test(first))
    return rest[0]!.includes(first.slice(8)) ? rest.join('; ') : `${first}: ${rest.join('; ')}`
  if (rest.length > 0 && /^Missing \d+ required args?:$/.test(first))
    return `${first} ${rest.map((l) => (/\s{2,}/.test(l) ? `${l.replace(/\s{2,}/, ' (')})` : l)).join(', ')}`
  return first
}
