/**
 * fox-wamp child for the bench (the peer router we compare with): `node dist/bench/serve-fox-wamp.js`
 * with an IPC channel. Same protocol as serve-wampctl.ts. fox-wamp speaks only wamp.2.json, accepts
 * any path, and ignores REGISTER.Options.invoke (every call goes to its first callee).
 */
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { serveChild } from './child-ipc.js'

interface FoxServer {
  address(): AddressInfo | string | null
  once(event: 'listening' | 'error', listener: (err?: Error) => void): void
  close(cb?: () => void): void
}
interface FoxRouter {
  listenWAMP(options: { host: string; port: number }): FoxServer
}

const require = createRequire(import.meta.url)
const FoxRouterClass = require('fox-wamp') as new () => FoxRouter

const fox = new FoxRouterClass()
let server: FoxServer | undefined

serveChild({
  listen: () =>
    new Promise((resolve, reject) => {
      const s = fox.listenWAMP({ host: '127.0.0.1', port: 0 })
      server = s
      s.once('error', (err) => reject(err ?? new Error('fox-wamp failed to listen')))
      s.once('listening', () => {
        const address = s.address()
        if (address === null || typeof address === 'string') return reject(new Error('fox-wamp has no TCP address'))
        resolve({ port: address.port, path: '/ws' })
      })
    }),
  close: () => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))),
})
