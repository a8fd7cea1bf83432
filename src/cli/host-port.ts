import { UsageError } from '../client/errors.js'

/**
 * A listen address as operators type it: `127.0.0.1:9100`, `[::1]:9100`, `0.0.0.0:9100`, or `:9100`
 * (loopback). Port 0 picks a free one.
 */
export function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim())
  const port = m === null ? NaN : Number(m[3])
  if (m === null || !(port >= 0 && port <= 65535))
    throw new UsageError(`bad ${what} '${text}': give HOST:PORT (examples: 127.0.0.1:9100, [::1]:9100, :9100)`)
  const host = m[1] ?? m[2]!
  return { host: host === '' ? '127.0.0.1' : host, port }
}
