import { describe, expect, it } from 'vitest'
import { SERIALIZERS } from '../support/clients.js'
import { MetaRecorder, SUBSCRIPTION_EVENTS } from '../support/meta.js'
import { CLIENTS, failureOf, openPeer, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** wamp.subscription.* procedures and events: exact spec shapes and order. */

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

async function call(peer: Peer, uri: string, args: unknown[] = []): Promise<unknown> {
  return (await peer.call(uri, args)).args[0]
}

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('subscription meta with %s over %s', (kind, ser) => {
  it('on_create then on_subscribe; on_unsubscribe then on_delete', async () => {
    const router = await startRouter()
    const meta = await MetaRecorder.start(await openPeer(kind, router.url, ser), SUBSCRIPTION_EVENTS)
    const a = await openPeer(kind, router.url, ser)
    const b = await openPeer(kind, router.url, ser)
    const id = await a.subscribe('com.example.t', () => {}, { match: 'prefix' })
    await b.subscribe('com.example.t', () => {}, { match: 'prefix' })
    await a.leave()
    await b.leave()
    await meta.waitForTopic('wamp.subscription.on_delete')
    expect(meta.events.map((e) => [e.topic.replace('wamp.subscription.', ''), e.args])).toEqual([
      ['on_create', [a.id, { id, created: expect.stringMatching(ISO), uri: 'com.example.t', match: 'prefix' }]],
      ['on_subscribe', [a.id, id]],
      ['on_subscribe', [b.id, id]],
      ['on_unsubscribe', [a.id, id]],
      ['on_unsubscribe', [b.id, id]],
      ['on_delete', [b.id, id]],
    ])
  })

  it('list, lookup, match, get, list_subscribers and count_subscribers', async () => {
    const router = await startRouter()
    const a = await openPeer(kind, router.url, ser)
    const b = await openPeer(kind, router.url, ser)
    const exact = await a.subscribe('com.example.t.x', () => {})
    await b.subscribe('com.example.t.x', () => {})
    const prefix = await a.subscribe('com.example.t', () => {}, { match: 'prefix' })
    const wildcard = await b.subscribe('com.example..x', () => {}, { match: 'wildcard' })
    const q = await openPeer(kind, router.url, ser)

    expect(await call(q, 'wamp.subscription.list')).toEqual({ exact: [exact], prefix: [prefix], wildcard: [wildcard] })
    expect(await call(q, 'wamp.subscription.lookup', ['com.example.t.x'])).toBe(exact)
    expect(await call(q, 'wamp.subscription.lookup', ['com.example.t', { match: 'prefix' }])).toBe(prefix)
    expect(await call(q, 'wamp.subscription.lookup', ['com.example..x', { match: 'wildcard' }])).toBe(wildcard)
    expect(await call(q, 'wamp.subscription.lookup', ['com.example.none'])).toBeNull()
    expect(new Set((await call(q, 'wamp.subscription.match', ['com.example.t.x'])) as number[])).toEqual(new Set([exact, prefix, wildcard]))
    expect(await call(q, 'wamp.subscription.match', ['com.example.t.y'])).toEqual([prefix])
    expect(await call(q, 'wamp.subscription.match', ['org.none'])).toBeNull()
    expect(await call(q, 'wamp.subscription.get', [prefix])).toEqual({
      id: prefix,
      created: expect.stringMatching(ISO),
      uri: 'com.example.t',
      match: 'prefix',
    })
    expect(await call(q, 'wamp.subscription.list_subscribers', [exact])).toEqual([a.id, b.id])
    expect(await call(q, 'wamp.subscription.count_subscribers', [exact])).toBe(2)
    expect(await call(q, 'wamp.subscription.count_subscribers', [wildcard])).toBe(1)
    for (const uri of ['wamp.subscription.get', 'wamp.subscription.list_subscribers', 'wamp.subscription.count_subscribers']) {
      expect((await failureOf(q.call(uri, [4242]))).uri).toBe('wamp.error.no_such_subscription')
    }
  })
})

describe('subscription meta in context', () => {
  it("subscribing to the router's own meta topics publishes no subscription meta events", async () => {
    const router = await startRouter()
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), SUBSCRIPTION_EVENTS)
    const other = await openPeer('wampy', router.url)
    await other.subscribe('wamp.session.on_join', () => {})
    const id = await other.subscribe('com.example.visible', () => {})
    await meta.waitForTopic('wamp.subscription.on_subscribe', 1, id)
    expect(meta.events.map((e) => e.topic)).toEqual(['wamp.subscription.on_create', 'wamp.subscription.on_subscribe'])
  })

  it('an explicit UNSUBSCRIBE publishes on_unsubscribe and on_delete (raw peer)', async () => {
    const router = await startRouter()
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), [
      'wamp.subscription.on_unsubscribe',
      'wamp.subscription.on_delete',
    ])
    const p = await RawPeer.joined(router.url, 'cbor')
    p.send([32, 1, {}, 'com.example.u'])
    const id = (await p.nextOf(33, 1))[2]
    p.send([34, 2, id])
    expect(await p.nextOf(35, 2)).toEqual([35, 2])
    await meta.waitForTopic('wamp.subscription.on_delete')
    expect(meta.events).toEqual([
      { topic: 'wamp.subscription.on_unsubscribe', args: [p.sessionId, id] },
      { topic: 'wamp.subscription.on_delete', args: [p.sessionId, id] },
    ])
  })
})
