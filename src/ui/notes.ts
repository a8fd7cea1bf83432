/** One-line notes on stderr (never on stdout, so `--json` output stays clean). */
export function note(message: string): void {
  process.stderr.write(`wampctl: note: ${message}\n`)
}

export function statisticsUnavailable(url: string): string {
  return `the router at ${url} does not serve the wampctl extensions: statistics are unavailable (shown as - / null)`
}

/** Some cluster nodes did not send their callees' statistics in time (a snapshot's missing_nodes). */
export function nodesMissing(nodes: string[] | undefined): string | undefined {
  if (nodes === undefined || nodes.length === 0) return undefined
  const which = nodes.length === 1 ? `node ${nodes[0]} did not` : `nodes ${nodes.join(', ')} did not`
  return `${which} answer in time: the statistics of its callees are unknown (shown as - / null)`
}
