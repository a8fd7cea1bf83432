/**
 * pino's JSON line as one line of text for a terminal: `13:04:36.123 INFO  session opened
 * realm=realm1 session=42`. A dozen lines instead of pino-pretty, which would bring ten more
 * packages (and by default a worker thread) for this one job.
 */
export function formatTextLine(json: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const { level, time, msg, ...fields } = entry
  const clock = typeof time === 'string' ? time.slice(11, 23) : ''
  const rest = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ')
  return `${clock} ${String(level).toUpperCase().padEnd(5)} ${String(msg)}${rest === '' ? '' : ` ${rest}`}\n`
}
