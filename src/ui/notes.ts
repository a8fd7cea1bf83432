/** One-line notes on stderr (never on stdout, so `--json` output stays clean). */
export function note(message: string): void {
  process.stderr.write(`wampctl: note: ${message}\n`)
}

export function statisticsUnavailable(url: string): string {
  return `the router at ${url} does not serve the wampctl extensions: statistics are unavailable (shown as - / null)`
}
