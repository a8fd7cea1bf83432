import { request } from 'node:http'
import { request as requestTls } from 'node:https'
import { UsageError } from './errors.js'

/** URL schemes the client connects over. */
export const ROUTER_URL_SCHEMES = ['ws:', 'wss:'] as const

/**
 * Check a router URL before connecting: a usage error (exit 2, one line) for what is not a
 * WebSocket URL, with the likely intent (`127.0.0.1:8080` → `ws://127.0.0.1:8080/ws`).
 */
export function checkRouterUrl(url: string): URL {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
  let parsed: URL | undefined
  try {
    parsed = hasScheme ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || !(ROUTER_URL_SCHEMES as readonly string[]).includes(parsed.protocol) || parsed.hostname === '') {
    const guess = hasScheme
      ? /^https?:\/\//i.test(url)
        ? url.replace(/^http/i, 'ws')
        : null
      : `ws://${url.replace(/\/+$/, '')}${/^[^/]+$/.test(url) ? '/ws' : ''}`
    throw new UsageError(
      `'${url}' is not a router WebSocket URL (ws://HOST:PORT/PATH or wss://…)${guess === null ? '' : `; did you mean ${guess}?`}`,
    )
  }
  return parsed
}

/**
 * Why a WebSocket connection could not open, asked with one plain HTTP request to the same
 * address (the WebSocket client only says "unreachable"): the server's own answer when something
 * answered (`HTTP 404 Not Found: no WAMP endpoint at /x; use /ws`), else the socket error
 * (`connection refused`). Resolves within `timeoutMs`; never rejects.
 */
export function probeRouterUrl(url: string, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    let done = false
    const finish = (why: string | null): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve(why)
    }
    const u = new URL(url)
    const send = u.protocol === 'wss:' ? requestTls : request
    const req = send({
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port === '' ? (u.protocol === 'wss:' ? 443 : 80) : Number(u.port),
      path: `${u.pathname}${u.search}`,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'd2FtcGN0bC1wcm9iZS0xMg==',
        'Sec-WebSocket-Protocol': 'wamp.2.json',
      },
    })
    const timer = setTimeout(() => finish(null), timeoutMs)
    req.on('upgrade', () => finish(null))
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        if (body.length < 400) body += d
      })
      res.on('end', () => {
        const text = body.trim().split('\n')[0]!.slice(0, 200)
        finish(`the server answered HTTP ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trimEnd() + (text === '' ? '' : `: ${text}`))
      })
      res.on('error', () => finish(`the server answered HTTP ${res.statusCode ?? '?'}`))
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? ''
      finish(
        code === 'ECONNREFUSED'
          ? 'connection refused: nothing listens there'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `unknown host '${u.hostname}'`
            : code === 'ECONNRESET'
              ? 'the server closed the connection'
              : err.message,
      )
    })
    req.end()
  })
}
