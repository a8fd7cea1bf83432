import { afterEach } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { MetaClient } from '../../src/client/meta-client.js'
import type { RealmConfig, RouterOptions } from '../../src/router/config.js'
import type { Router } from '../../src/router/router.js'
import { startRouter } from './router.js'

/**
 * The realm the CLI, ops and rollout suites run against: anonymous sessions may call, register,
 * publish and subscribe anything (but not the mutating meta procedures); `ops`/`s` (WAMP-CRA) is
 * an admin, as the credential `wampctl router start` writes into its context.
 */
export const ADMIN = { authid: 'ops', secret: 's' }

export function opsRealm(name = 'realm1'): RealmConfig {
  return {
    name,
    roles: {
      anonymous: { permissions: [{ uri: '', match: 'prefix', allow: ['call', 'register', 'publish', 'subscribe'] }] },
      admin: { admin: true },
    },
    auth: { wampcra: { [ADMIN.authid]: { secret: ADMIN.secret, role: 'admin' } } },
  }
}

export const OPS_ROUTER_OPTIONS: RouterOptions = { realms: [opsRealm()] }

/** A real router (127.0.0.1, port 0) with opsRealm(), closed after the test. */
export function startOpsRouter(options: { extensions?: boolean; statsIntervalMs?: number } = {}): Promise<Router> {
  return startRouter({
    ...OPS_ROUTER_OPTIONS,
    extensions: options.extensions ?? true,
    ...(options.statsIntervalMs !== undefined ? { statsIntervalMs: options.statsIntervalMs } : {}),
  })
}

const clients: WampClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

/** A wampctl client session on realm1 (admin unless `anonymous`), closed after the test. */
export async function opsClient(url: string, anonymous = false): Promise<WampClient> {
  const c = await WampClient.connect(anonymous ? { url, realm: 'realm1' } : { url, realm: 'realm1', ...ADMIN })
  clients.push(c)
  return c
}

export async function opsMeta(url: string, anonymous = false): Promise<MetaClient> {
  return new MetaClient(await opsClient(url, anonymous))
}
