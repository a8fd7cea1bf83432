import { RouterConfigError } from './errors.js'

/** Where a RawSocket listener listens: a TCP address or a Unix domain socket path. */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string }

/** "127.0.0.1:8081", "[::1]:8081", ":8081" (127.0.0.1) or "unix:/run/wamp.sock". */
export function parseListenAddress(spec: string): ListenAddress {
  if (spec.startsWith('unix:')) {
    const path = spec.slice('unix:'.length)
    if (path.length === 0) throw new RouterConfigError(`listen address '${spec}': unix: needs a socket path`)
    return { kind: 'unix', path }
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(spec)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new RouterConfigError(`listen address '${spec}': expected HOST:PORT (port 0 picks a free one) or unix:/PATH`)
  }
  const host = m[1] ?? m[2]
  return { kind: 'tcp', host: host === '' || host === undefined ? '127.0.0.1' : host, port }
}
