import { describe, expect, it } from 'vitest'
import { adminSession, authRealm } from '../support/admin.js'
import { CLIENTS, failureOf, openPeer } from '../support/peers.js'
import { startRouter } from '../support/router.js'

const URI = 'com.example.canary'

async function callMany(caller: Awaited<ReturnType<typeof openPeer>>, n: number): Promise<unknown[]> {
  const out: unknown[] = []
  for (let i = 0; i < n; i++) out.push((await caller.call(URI)).args[0])
  return out
}

describe.each(CLIENTS)('REGISTER option _weight with a %s callee (wampctl extension)', (kind) => {
  it('a callee registered with _weight 0 gets no call until its weight is raised', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const stable = await openPeer('autobahn', router.url)
    const canary = await openPeer(kind, router.url, 'msgpack')
    const regId = await stable.register(URI, () => ({ args: ['stable'] }), { invoke: 'roundrobin' })
    await canary.register(URI, () => ({ args: ['canary'] }), { invoke: 'roundrobin', _weight: 0 })
    const caller = await openPeer('autobahn', router.url)
    expect(await callMany(caller, 4)).toEqual(['stable', 'stable', 'stable', 'stable'])

    const admin = await adminSession(router.url)
    const described = (await admin.call('wampctl.registration.describe', [regId])) as {
      callees: Array<{ session: number; weight: number }>
    }
    expect(described.callees.map((c) => [c.session, c.weight])).toEqual([
      [stable.id, 1],
      [canary.id, 0],
    ])
    await admin.call('wampctl.registration.set_weight', [regId, canary.id, 1])
    expect(new Set(await callMany(caller, 4))).toEqual(new Set(['stable', 'canary']))
  })
})

describe('REGISTER option _weight checks', () => {
  it('a _weight that is not a number from 0 to 1000000 is wamp.error.invalid_argument and registers nothing', async () => {
    const router = await startRouter()
    const callee = await openPeer('autobahn', router.url)
    for (const bad of [-1, 'heavy', 2_000_000]) {
      const err = await failureOf(callee.register(URI, () => ({ args: ['x'] }), { invoke: 'roundrobin', _weight: bad }))
      expect(err.uri).toBe('wamp.error.invalid_argument')
    }
    const caller = await openPeer('autobahn', router.url)
    expect((await failureOf(caller.call(URI))).uri).toBe('wamp.error.no_such_procedure')
  })

  it('is ignored by a router with the extensions off: the callee takes its turn', async () => {
    const router = await startRouter({ extensions: false })
    const a = await openPeer('autobahn', router.url)
    const b = await openPeer('autobahn', router.url)
    await a.register(URI, () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    await b.register(URI, () => ({ args: ['b'] }), { invoke: 'roundrobin', _weight: 0 })
    const caller = await openPeer('autobahn', router.url)
    expect(await callMany(caller, 4)).toEqual(['a', 'b', 'a', 'b'])
  })
})
