import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../config.js'
import { routerMetrics, type MetricsSource, type RouterMetrics } from './metrics.js'

export interface AdminOptions {
  /** Address to listen on. Default 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default 9100. */
  port?: number
  /** When set, /metrics needs `Authorization: Bearer <token>` (the health endpoints stay open for probes). */
  token?: string
  /** Callees exported with series of their own; the rest are summed under procedure="#other". Default 500. */
  maxCalleeSeries?: number
}

export const DEFAULT_MAX_CALLEE_SERIES = 500

/** What the admin listener reads from the router. */
export interface AdminSource extends MetricsSource {
  /** The router is up (health): true from listen until close, shutdown included. */
  readonly serving: boolean
  /** Why /readyz says no: "starting", "shutting down"; undefined when ready. */
  readonly notReadyReason: string | undefined
}

/**
 * The router's admin HTTP listener: GET /metrics (Prometheus text format), /healthz (200 while the
 * router serves, graceful shutdown included), /readyz (200 only while it accepts new sessions).
 * Off by default; it shares nothing with the WAMP listener (another port, usually loopback only).
 */
export class AdminServer {
  private readonly http: Server
  private readonly metrics: RouterMetrics
  private readonly tokenDigest: Buffer | undefined
  private address: AddressInfo | undefined

  constructor(
    private readonly source: AdminSource,
    private readonly options: AdminOptions,
    private readonly logger: Logger,
  ) {
    this.metrics = routerMetrics(source, { maxCalleeSeries: options.maxCalleeSeries ?? DEFAULT_MAX_CALLEE_SERIES })
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token)
    this.http = createServer((req, res) => this.handle(req, res))
  }

  /** http://host:port, once listening. */
  get url(): string {
    const a = this.address
    if (a === undefined) return ''
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(this.options.port ?? 9100, this.options.host ?? '127.0.0.1', () => {
        this.http.off('error', reject)
        resolve()
      })
    })
    this.address = this.http.address() as AddressInfo
  }

  async close(): Promise<void> {
    if (!this.http.listening) return
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve())
      this.http.closeAllConnections()
    })
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET and HEAD\n', { allow: 'GET, HEAD' })
    switch (path) {
      case '/healthz':
        return this.source.serving ? reply(res, 200, 'ok\n') : reply(res, 503, 'stopped\n')
      case '/readyz': {
        const reason = this.source.notReadyReason
        return reason === undefined ? reply(res, 200, 'ready\n') : reply(res, 503, `${reason}\n`)
      }
      case '/metrics':
        if (!this.authorized(req)) return reply(res, 401, 'a bearer token is required\n', { 'www-authenticate': 'Bearer realm="wampctl"' })
        this.metrics.render().then(
          (text) => reply(res, 200, text, { 'content-type': this.metrics.contentType }),
          (err: unknown) => {
            this.logger.error('metrics failed', { err: err instanceof Error ? err.message : String(err) })
            reply(res, 500, 'metrics failed\n')
          },
        )
        return
      default:
        return reply(res, 404, 'not found: the admin listener serves /metrics, /healthz and /readyz\n')
    }
  }

  private authorized(req: IncomingMessage): boolean {
    if (this.tokenDigest === undefined) return true
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    // Compare digests: equal length whatever was sent, and no early exit on the first wrong byte.
    return m !== null && timingSafeEqual(digest(m[1]!), this.tokenDigest)
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
