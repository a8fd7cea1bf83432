import { describe, expect, it } from 'vitest'
import { ADMIN_TICKET, authRealm } from '../support/admin.js'
import { CLIENTS, failureOf, openPeer, WampFailure, type Peer } from '../support/peers.js'
import { startRouter } from '../support/router.js'

const URI = 'com.example.directed'

async function admin(url: string): Promise<Peer> {
  return openPeer('autobahn', url, 'json', { authid: 'admin', authmethods: ['ticket'], onchallenge: () => ADMIN_TICKET })
}

/** A directed call: CALL option `_callee: SESSION` (wampctl extension) reaches that callee only. */
describe.each(CLIENTS)('directed calls with a %s callee', (kind) => {
  it('reach exactly the named callee, whatever its weight, and never another (no rerouting)', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const callees: Peer[] = []
    const hits = new Map<number, number>()
    for (let i = 0; i < 3; i++) {
      const p = await openPeer(kind, router.url, i === 1 ? 'msgpack' : 'json')
      callees.push(p)
      // The first is dark (weight 0): it gets no ordinary call. The last is busy: wamp.error.unavailable.
      const options = { invoke: 'roundrobin', ...(i === 0 ? { _weight: 0 } : {}) }
      await p.register(
        URI,
        () => {
          hits.set(p.id, (hits.get(p.id) ?? 0) + 1)
          if (i === 2) throw new WampFailure('wamp.error.unavailable')
          return { args: [p.id] }
        },
        options,
      )
    }
    const operator = await admin(router.url)
    for (let i = 0; i < 6; i++) expect((await operator.call(URI, [], {}, { _callee: callees[0]!.id })).args).toEqual([callees[0]!.id])
    // A directed call is not rerouted: the busy callee's answer is the caller's.
    expect((await failureOf(operator.call(URI, [], {}, { _callee: callees[2]!.id }))).uri).toBe('wamp.error.unavailable')
    expect([hits.get(callees[0]!.id), hits.get(callees[1]!.id) ?? 0, hits.get(callees[2]!.id)]).toEqual([6, 0, 1])
  })
})

describe('directed call checks', () => {
  it('is refused for a non-admin role (wamp.error.not_authorized), from autobahn and wampy alike; the callee sees nothing', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    let hits = 0
    const callee = await openPeer('autobahn', router.url)
    await callee.register(URI, () => ({ args: [++hits] }), { invoke: 'roundrobin' })
    for (const kind of CLIENTS) {
      const caller = await openPeer(kind, router.url)
      const err = await failureOf(caller.call(URI, [], {}, { _callee: callee.id }))
      expect(err.uri).toBe('wamp.error.not_authorized')
      // The same caller without the option is served as usual.
      expect((await caller.call(URI)).args).toEqual([hits])
    }
    expect(hits).toBe(2)
  })

  it('names no such session, or a session that is not a callee of the registration, plainly', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const callee = await openPeer('autobahn', router.url)
    await callee.register(URI, () => ({ args: ['ok'] }), { invoke: 'roundrobin' })
    const operator = await admin(router.url)
    expect((await failureOf(operator.call(URI, [], {}, { _callee: 4242 }))).uri).toBe('wamp.error.no_such_session')
    expect((await failureOf(operator.call(URI, [], {}, { _callee: operator.id }))).uri).toBe('wamp.error.no_available_callee')
    expect((await failureOf(operator.call(URI, [], {}, { _callee: 'x' }))).uri).toBe('wamp.error.invalid_argument')
    expect((await operator.call(URI, [], {}, { _callee: callee.id })).args).toEqual(['ok'])
  })
})
