import { describe, expect, it } from 'vitest'
import { SERIALIZERS } from '../support/clients.js'
import { MetaRecorder } from '../support/meta.js'
import { CLIENTS, failureOf, openPeer, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** first/last fail over the moment a callee unregisters or its session ends. */

const URI = 'com.example.failover'

async function who(caller: Peer): Promise<unknown> {
  return (await caller.call(URI)).args[0]
}

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('fail-over with %s over %s', (kind, ser) => {
  async function setup(invoke: string): Promise<{ callees: Record<string, Peer>; caller: Peer }> {
    const router = await startRouter()
    const callees: Record<string, Peer> = {}
    for (const name of ['a', 'b', 'c']) {
      callees[name] = await openPeer(kind, router.url, ser)
      await callees[name]!.register(URI, () => ({ args: [name] }), { invoke })
    }
    return { callees, caller: await openPeer(kind, router.url, ser) }
  }

  it('first: the next callee takes over when the first unregisters, then when its session ends', async () => {
    const { callees, caller } = await setup('first')
    expect(await who(caller)).toBe('a')
    await callees.a!.unregister(URI)
    expect(await who(caller)).toBe('b')
    await callees.b!.leave()
    expect(await who(caller)).toBe('c')
    await callees.c!.leave()
    expect((await failureOf(caller.call(URI))).uri).toBe('wamp.error.no_such_procedure')
  })

  it('last: the previous callee takes over when the last unregisters, then when its session ends', async () => {
    const { callees, caller } = await setup('last')
    expect(await who(caller)).toBe('c')
    await callees.c!.unregister(URI)
    expect(await who(caller)).toBe('b')
    await callees.b!.leave()
    expect(await who(caller)).toBe('a')
  })
})

describe('fail-over when a callee transport drops without GOODBYE', () => {
  it.each(SERIALIZERS)('over %s: first moves to the next callee once the router sees the session gone', async (ser) => {
    const router = await startRouter()
    const monitor = await MetaRecorder.start(await openPeer('autobahn', router.url, ser), ['wamp.session.on_leave'])
    const a = await RawPeer.joined(router.url, ser)
    const b = await RawPeer.joined(router.url, ser)
    for (const [p, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      expect((await p.register(URI, { invoke: 'first' }))[0]).toBe(65)
      p.serve((inv) => [70, inv[1], {}, [name]])
    }
    const caller = await openPeer('wampy', router.url, ser)
    expect(await who(caller)).toBe('a')
    a.terminate()
    await monitor.waitForTopic('wamp.session.on_leave', 0, a.sessionId)
    expect(await who(caller)).toBe('b')
  })

  it('last: a callee registering later is served at once, and the earlier one again when it leaves', async () => {
    const router = await startRouter()
    const caller = await openPeer('autobahn', router.url, 'json')
    const a = await openPeer('wampy', router.url, 'json')
    await a.register(URI, () => ({ args: ['a'] }), { invoke: 'last' })
    expect(await who(caller)).toBe('a')
    const b = await openPeer('autobahn', router.url, 'cbor')
    await b.register(URI, () => ({ args: ['b'] }), { invoke: 'last' })
    expect(await who(caller)).toBe('b')
    await b.leave()
    expect(await who(caller)).toBe('a')
  })
})

describe('call rerouting (a callee answering wamp.error.unavailable)', () => {
  it.each(SERIALIZERS)(
    'over %s: the call goes to another callee; when all are unavailable the caller gets no_available_callee',
    async (ser) => {
      const router = await startRouter()
      const busy = await RawPeer.joined(router.url, ser)
      const free = await RawPeer.joined(router.url, ser)
      await busy.register(URI, { invoke: 'roundrobin' })
      await free.register(URI, { invoke: 'roundrobin' })
      let freeAnswers = 'ok'
      busy.serve((inv) => [8, 68, inv[1], {}, 'wamp.error.unavailable'])
      free.serve((inv) => (freeAnswers === 'ok' ? [70, inv[1], {}, ['free']] : [8, 68, inv[1], {}, 'wamp.error.unavailable']))
      const caller = await openPeer('wampy', router.url, ser)
      for (let i = 0; i < 4; i++) expect(await who(caller)).toBe('free')
      freeAnswers = 'unavailable'
      const err = await failureOf(caller.call(URI))
      expect(err.uri).toBe('wamp.error.no_available_callee')
    },
  )
})
