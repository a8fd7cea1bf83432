import { afterEach } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { MetaClient } from '../../src/client/meta-client.js'
import { startLoad, type RunningLoad } from '../../src/ops/demo/load.js'
import type { Router } from '../../src/router/router.js'
import { startRouter } from '../support/router.js'

/**
 * A real router for the live views' tests: realm1 with anonymous callees and an admin principal
 * (WAMP-CRA) for cordon/drain, fast stats ticks; real callee sessions and a real caller load.
 * Everything opened here is closed after each test (before the router, which closes last).
 */
export const ADMIN = { authid: 'ops', secret: 'ops-secret-for-tests' }

const clients: WampClient[] = []
const loads: RunningLoad[] = []

afterEach(async () => {
  await Promise.all(loads.splice(0).map((l) => l.stop(500)))
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

export function liveRouter(options: { extensions?: boolean; statsIntervalMs?: number } = {}): Promise<Router> {
  return startRouter({
    realms: [{ name: 'realm1', auth: { wampcra: { [ADMIN.authid]: { secret: ADMIN.secret, role: 'admin' } } } }],
    extensions: options.extensions ?? true,
    statsIntervalMs: options.statsIntervalMs ?? 100,
  })
}

export async function adminMeta(router: Router): Promise<MetaClient> {
  const client = await WampClient.connect({ url: router.url, realm: 'realm1', authid: ADMIN.authid, secret: ADMIN.secret })
  clients.push(client)
  return new MetaClient(client)
}

export interface TestCallee {
  client: WampClient
  session: number
  authid: string
}

/** One callee session registered on `uri`: answers after `delayMs`. */
export async function callee(
  router: Router,
  uri: string,
  authid: string,
  invoke: 'roundrobin' | 'random' | 'first' = 'roundrobin',
  delayMs = 2,
): Promise<TestCallee> {
  const client = await WampClient.connect({ url: router.url, realm: 'realm1', authid })
  clients.push(client)
  await client.register(
    uri,
    async (args) => {
      await new Promise((r) => setTimeout(r, delayMs))
      return args[0] ?? null
    },
    { invoke },
  )
  return { client, session: client.sessionId, authid }
}

/** A steady call rate on `uris` from one caller session (stopped after the test). */
export async function load(router: Router, uris: string[], rate = 100): Promise<RunningLoad> {
  const client = await WampClient.connect({ url: router.url, realm: 'realm1', authid: 'load' })
  clients.push(client)
  const l = startLoad(client, { rate, mix: uris.map((uri) => ({ uri, weight: 1, args: () => [1] })), periodMs: 20 })
  loads.push(l)
  return l
}

/** Resolves once `predicate` holds, checked on every change `subscribe` reports; rejects after `timeoutMs`. */
export function until(
  subscribe: (listener: () => void) => () => void,
  predicate: () => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let off: () => void = () => {}
    const timer = setTimeout(() => {
      off()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    const check = (): void => {
      let ok: boolean
      try {
        ok = predicate()
      } catch {
        ok = false
      }
      if (ok) {
        clearTimeout(timer)
        off()
        resolve()
      }
    }
    off = subscribe(check)
    check()
  })
}
