import { unlinkSync } from 'node:fs'
import { createConnection, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TlsOptions } from 'node:tls'
import { RouterConfigError } from '../errors.js'
import type { ListenAddress } from '../listen-address.js'
import type { Serializer } from '../serializers.js'
import { acceptRawSocket } from './accept.js'
import type { RawSocketTransport } from './rawsocket-transport.js'

export interface RawSocketServerOptions {
  maxMessageSize: number
  handshakeTimeoutMs: number
  /** TLS server options (TCP listeners only: a Unix socket is guarded by its file permissions). */
  tls?: TlsOptions
}

/** One RawSocket listener (TCP, TCP+TLS or a Unix domain socket) handing over transports. */
export class RawSocketServer {
  private readonly server: Server | TlsServer
  /** Every TCP (or Unix) socket accepted and still open, TLS handshake or not. */
  private readonly sockets = new Set<Socket>()
  private bound: AddressInfo | undefined

  constructor(
    readonly address: ListenAddress,
    private readonly options: RawSocketServerOptions,
    private readonly onTransport: (t: RawSocketTransport, s: Serializer) => void,
  ) {
    const tls = address.kind === 'tcp' ? options.tls : undefined
    this.server =
      tls === undefined
        ? createTcpServer((socket) => this.accept(socket, false))
        : createTlsServer({ ...tls, handshakeTimeout: options.handshakeTimeoutMs || 120_000 }, (socket) => this.accept(socket, true))
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    // A failed TLS handshake (wrong client certificate, not TLS at all) destroys its socket; nothing else to do.
    this.server.on('tlsClientError', () => {})
  }

  get tls(): boolean {
    return this.address.kind === 'tcp' && this.options.tls !== undefined
  }

  /** rs://HOST:PORT, rss://HOST:PORT (TLS) or unix:/PATH. */
  get url(): string {
    if (this.address.kind === 'unix') return `unix:${this.address.path}`
    if (this.bound === undefined) throw new RouterConfigError('the RawSocket listener is not listening')
    const host = this.bound.family === 'IPv6' ? `[${this.bound.address}]` : this.bound.address
    return `${this.tls ? 'rss' : 'rs'}://${host}:${this.bound.port}`
  }

  async listen(): Promise<void> {
    try {
      await this.bind()
    } catch (err) {
      // A Unix socket file left by a router that died: nobody answers on it, so it may go.
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || this.address.kind !== 'unix' || (await answers(this.address.path))) {
        throw new RouterConfigError(`cannot listen for RawSocket on ${describe(this.address)}: ${(err as Error).message}`)
      }
      unlinkSync(this.address.path)
      await this.bind()
    }
    if (this.address.kind === 'tcp') this.bound = this.server.address() as AddressInfo
  }

  /** Serve a renewed certificate to new connections; established ones keep theirs. */
  setSecureContext(options: SecureContextOptions): void {
    if (this.tls) (this.server as TlsServer).setSecureContext(options)
  }

  /**
   * Stop listening. The router closes the connections it runs; a socket still in its TLS or
   * RawSocket handshake after a second is dropped, so that a silent client cannot hold up the close.
   */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const linger = setTimeout(() => {
        for (const s of this.sockets) s.destroy()
      }, 1000)
      linger.unref()
      this.server.close(() => {
        clearTimeout(linger)
        resolve()
      })
    })
  }

  private bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      const done = (): void => {
        this.server.off('error', reject)
        resolve()
      }
      if (this.address.kind === 'unix') this.server.listen(this.address.path, done)
      else this.server.listen(this.address.port, this.address.host, done)
    })
  }

  private accept(socket: Socket, tls: boolean): void {
    if (this.address.kind === 'tcp') socket.setNoDelay(true)
    const peer =
      this.address.kind === 'unix' ? `unix:${this.address.path}` : `tcp:${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    acceptRawSocket(
      socket,
      {
        maxMessageSize: this.options.maxMessageSize,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        info: tls ? { peer, tls } : { peer },
      },
      this.onTransport,
    )
  }
}

function describe(a: ListenAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `${a.host}:${a.port}`
}

/** Whether something accepts connections on the Unix socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
}
