import { afterEach } from 'vitest'
import { MetaClient } from '../../src/client/meta-client.js'
import { WampClient } from '../../src/client/connection.js'
import type { Router } from '../../src/router/router.js'
import { startRouter } from '../support/router.js'

/**
 * A real router whose realm1 has an admin principal (`ops`/`s`, WAMP-CRA) besides anonymous
 * sessions (call/register/publish/subscribe on everything, no mutating meta procedures).
 */
export const ADMIN = { authid: 'ops', secret: 's' }

export function startOpsRouter(options: { extensions?: boolean } = {}): Promise<Router> {
  return startRouter({
    extensions: options.extensions ?? true,
    realms: [
      {
        name: 'realm1',
        roles: {
          anonymous: { permissions: [{ uri: '', match: 'prefix', allow: ['call', 'register', 'publish', 'subscribe'] }] },
          admin: { admin: true },
        },
        auth: { wampcra: { ops: { secret: ADMIN.secret, role: 'admin' } } },
      },
    ],
  })
}

const clients: WampClient[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

/** A wampctl client session (admin unless `anonymous`), closed after the test. */
export async function opsMeta(url: string, anonymous = false): Promise<MetaClient> {
  const client = await WampClient.connect(anonymous ? { url, realm: 'realm1' } : { url, realm: 'realm1', ...ADMIN })
  clients.push(client)
  return new MetaClient(client)
}
