import { afterEach, describe, expect, it } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { CallError, ConnectError, NotFoundError } from '../../src/client/errors.js'
import type { RealmConfig } from '../../src/router/config.js'
import { startRouter } from '../support/router.js'
import { openPeer } from '../support/peers.js'

/**
 * wampctl's own WAMP client (src/client/wamp-session.ts) against the real router and real peer
 * clients: every authentication it offers, each serializer, calls with progress, callee, pub/sub,
 * revocation and the close reasons the CLI reports.
 */

const open: WampClient[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})

async function client(options: Parameters<typeof WampClient.connect>[0]): Promise<WampClient> {
  const c = await WampClient.connect(options)
  open.push(c)
  return c
}

const REALM: RealmConfig = {
  name: 'realm1',
  roles: {
    anonymous: { permissions: [{ uri: '', match: 'prefix', allow: ['call', 'register', 'publish', 'subscribe'] }] },
    admin: { admin: true },
  },
  auth: {
    wampcra: {
      plain: { secret: 'p', role: 'admin' },
      salty: { secret: 's3cr3t', salt: 'pepper', iterations: 100, keylen: 32, role: 'admin' },
    },
    ticket: { tix: { ticket: 't0k', role: 'admin' } },
  },
}

describe('WampClient', () => {
  it('joins with WAMP-CRA (plain and salted), ticket and anonymous; refused credentials are one clear line', async () => {
    const router = await startRouter({ realms: [REALM] })
    const plain = await client({ url: router.url, realm: 'realm1', authid: 'plain', secret: 'p' })
    const salty = await client({ url: router.url, realm: 'realm1', authid: 'salty', secret: 's3cr3t' })
    const ticket = await client({ url: router.url, realm: 'realm1', authid: 'tix', ticket: 't0k' })
    const anon = await client({ url: router.url, realm: 'realm1' })
    expect([plain.authrole, salty.authrole, ticket.authrole, anon.authrole]).toEqual(['admin', 'admin', 'admin', 'anonymous'])
    expect(plain.routerRoles.dealer?.features).toMatchObject({ shared_registration: true })
    await expect(WampClient.connect({ url: router.url, realm: 'realm1', authid: 'salty', secret: 'wrong' })).rejects.toThrow(
      new ConnectError(`the router at ${router.url} refused the credentials of 'salty'`),
    )
    await expect(WampClient.connect({ url: router.url, realm: 'nope' })).rejects.toThrow(`has no realm 'nope'`)
  })

  it('over json, msgpack and cbor: calls (with progress), callee results and errors, acknowledged pub/sub', async () => {
    const router = await startRouter({ realms: [REALM] })
    for (const serializer of ['json', 'msgpack', 'cbor'] as const) {
      const callee = await client({ url: router.url, realm: 'realm1', serializer })
      const caller = await client({ url: router.url, realm: 'realm1', serializer })
      const uri = `com.client.${serializer}`
      await callee.register(`${uri}.add`, (args) => (args[0] as number) + (args[1] as number))
      await callee.register(`${uri}.none`, () => undefined)
      await callee.register(`${uri}.fail`, () => {
        throw new Error('boom')
      })
      expect(await caller.call(`${uri}.add`, [2, 3])).toEqual({ args: [5], kwargs: {} })
      expect(await caller.call(`${uri}.none`)).toEqual({ args: [], kwargs: {} })
      const failed = await caller.call(`${uri}.fail`).catch((e: unknown) => e)
      expect(failed).toBeInstanceOf(CallError)
      expect((failed as CallError).uri).toBe('wamp.error.runtime_error')
      expect((failed as CallError).args).toEqual(['boom'])
      await expect(caller.call(`${uri}.missing`)).rejects.toMatchObject({ uri: 'wamp.error.no_such_procedure', exitCode: 3 })

      const got: unknown[][] = []
      let delivered: () => void = () => {}
      const arrived = new Promise<void>((resolve) => (delivered = resolve))
      await callee.subscribe(`${uri}.news`, (args) => {
        got.push(args)
        delivered()
      })
      const publication = await caller.publish(`${uri}.news`, ['hello', 42])
      expect(publication).toBeGreaterThan(0)
      await arrived
      expect(got).toEqual([['hello', 42]])
    }
  })

  it('receives progressive results from a callee that sends them (autobahn)', async () => {
    const router = await startRouter({ realms: [REALM] })
    const peer = await openPeer('autobahn', router.url, 'json')
    await peer.register('com.client.count', (inv) => {
      for (let i = 1; i <= 3; i++) inv.progress?.([i])
      return { args: ['done'] }
    })
    const caller = await client({ url: router.url, realm: 'realm1' })
    const seen: unknown[] = []
    const r = await caller.callWithProgress('com.client.count', [], {}, (args) => seen.push(args[0]))
    expect(seen).toEqual([1, 2, 3])
    expect(r.args).toEqual(['done'])
  })

  it('a revoked registration stops answering; a killed session hears its GOODBYE reason and its requests fail in one line', async () => {
    const router = await startRouter({ realms: [REALM] })
    const admin = await client({ url: router.url, realm: 'realm1', authid: 'plain', secret: 'p' })
    const callee = await client({ url: router.url, realm: 'realm1' })
    const reg = await callee.register('com.client.revoked', () => 'x')
    await admin.call('wamp.registration.remove_callee', [reg.id, callee.sessionId, 'wampctl.evicted'])
    await expect(admin.call('com.client.revoked')).rejects.toMatchObject({ uri: 'wamp.error.no_such_procedure' })
    await expect(admin.call('wamp.registration.get', [reg.id])).rejects.toBeInstanceOf(NotFoundError)

    const closed = new Promise<string>((resolve) => callee.onClose(resolve))
    await admin.call('wamp.session.kill', [callee.sessionId], { reason: 'wamp.close.maintenance' })
    expect(await closed).toBe('wamp.close.maintenance')
    expect(callee.isOpen).toBe(false)
    await expect(callee.call('wamp.session.count')).rejects.toThrow(
      new ConnectError('the router closed the session during wamp.session.count'),
    )
  })
})
