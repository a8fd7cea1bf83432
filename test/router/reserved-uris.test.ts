import { describe, expect, it } from 'vitest'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { failureOf, openPeer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** `wamp.*` and `wampctl.*` belong to the router: clients may not register or publish there. */

describe.each(SERIALIZERS)('reserved URIs over %s', (ser) => {
  it('REGISTER of wamp.* or wampctl.* (any match policy) fails with wamp.error.invalid_uri', async () => {
    const router = await startRouter()
    const s = await autobahnSession(router.url, ser)
    for (const [uri, match] of [
      ['wamp.session.count', 'exact'],
      ['wamp.my.proc', 'exact'],
      ['wampctl.registration.snapshot', 'exact'],
      ['wamp.session', 'prefix'],
      ['wampctl.callee..x', 'wildcard'],
    ]) {
      const err = await failureOf(s.register(uri!, () => 'hijacked', { match } as never) as unknown as Promise<unknown>)
      expect([uri, err.uri]).toEqual([uri, 'wamp.error.invalid_uri'])
      expect(String(err.args[0])).toMatch(/router/)
    }
    expect(await s.call('wamp.session.count')).toBe(1)
  })

  it('wampy is refused too (it lets wampctl.* through to the router)', async () => {
    const router = await startRouter()
    const w = await openPeer('wampy', router.url, ser)
    expect((await failureOf(w.register('wampctl.callee.cordon', () => ({})))).uri).toBe('wamp.error.invalid_uri')
    expect((await failureOf(w.publish('wampctl.stats.on_tick', [{ fake: true }]))).uri).toBe('wamp.error.invalid_uri')
  })

  it('PUBLISH to wamp.* or wampctl.* fails with wamp.error.invalid_uri and no subscriber gets a forged event', async () => {
    const router = await startRouter()
    const watcher = await RawPeer.joined(router.url, ser)
    watcher.send([32, 1, {}, 'wamp.session.on_join'])
    await watcher.nextOf(33, 1)
    const forger = await RawPeer.joined(router.url, ser)
    for (const topic of ['wamp.session.on_join', 'wampctl.callee.on_state']) {
      const r = forger.nextRequest()
      forger.send([16, r, { acknowledge: true }, topic, [{ session: 1 }]])
      expect(await forger.nextOf(8, 16)).toEqual([8, 16, r, {}, 'wamp.error.invalid_uri', [expect.any(String)]])
    }
    // Real joins reach the watcher (the forger's, then the joiner's), with nothing forged in between.
    const joiner = await RawPeer.joined(router.url, ser)
    const joins = [await watcher.nextOf(36), await watcher.nextOf(36)]
    expect(joins.map((e) => (e[4] as Array<{ session: number }>)[0]!.session)).toEqual([forger.sessionId, joiner.sessionId])
  })

  it('subscribing to meta topics is allowed; calling an unknown wamp.* procedure is no_such_procedure', async () => {
    const router = await startRouter()
    const p = await RawPeer.joined(router.url, ser)
    p.send([32, 1, {}, 'wamp.registration.on_create'])
    expect((await p.nextOf(33, 1))[0]).toBe(33)
    const reply = await p.call('wamp.no.such.thing')
    expect(reply.slice(0, 1).concat(reply.slice(3, 5))).toEqual([8, {}, 'wamp.error.no_such_procedure'])
  })
})
