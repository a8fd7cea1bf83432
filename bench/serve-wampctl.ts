/**
 * Router child for the bench: `node dist/bench/serve-wampctl.js '<ServeOptions JSON>'` with an IPC
 * channel. Listens on 127.0.0.1 port 0, reports `{type: 'ready', port, path}`, answers
 * `{type: 'usage'}` with its own CPU and RSS, and exits when told to stop, on SIGTERM/SIGINT, or
 * when its parent goes away.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Router } from '../src/router/router.js'
import type { ClusterOptions } from '../src/router/cluster/options.js'
import type { TlsOptions } from '../src/router/tls.js'
import { serveChild } from './child-ipc.js'

interface ServeOptions {
  extensions: boolean
  callStats: boolean
  /** RouterOptions.maxEventQueueBytes (bench/overload.ts); the router's default when absent. */
  maxEventQueueBytes?: number
  /** The transport the load generator uses: WebSocket or RawSocket, over TLS or not. Default ws. */
  transport?: 'ws' | 'wss' | 'rs' | 'rss'
  /** Join a router cluster as this node (bench/cluster.ts); a single router when absent. */
  cluster?: ClusterOptions
}

/** A throwaway self-signed certificate for 127.0.0.1 (the load generator accepts any). */
function throwawayCertificate(): { tls: TlsOptions; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wampctl-bench-tls-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore', timeout: 30_000 },
  )
  return { tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }, dir }
}

const options = JSON.parse(process.argv[2] ?? '{}') as Partial<ServeOptions>
const transport = options.transport ?? 'ws'
const secure = transport === 'wss' || transport === 'rss' ? throwawayCertificate() : undefined
const router = new Router({
  rawsocket: transport === 'rs' || transport === 'rss' ? ['127.0.0.1:0'] : [],
  tls: secure?.tls,
  realms: ['realm1'],
  extensions: options.extensions ?? true,
  callStats: options.callStats ?? true,
  maxEventQueueBytes: options.maxEventQueueBytes,
  cluster: options.cluster,
})

serveChild({
  listen: async () => {
    await router.listen({ host: '127.0.0.1', port: 0 })
    if (secure !== undefined) rmSync(secure.dir, { recursive: true, force: true }) // read at listen
    const url = transport === 'rs' || transport === 'rss' ? router.rawsocketUrls[0]! : router.url
    return { port: router.port, path: router.path, url }
  },
  close: () => router.close(),
  eventsDropped: () => [...router.counters.eventsDropped.values()].reduce((a, b) => a + b, 0),
})
