import { describe, expect, it } from 'vitest'
import { adminSession, authRealm } from '../support/admin.js'
import { SERIALIZERS } from '../support/clients.js'
import { MetaRecorder, REGISTRATION_EVENTS } from '../support/meta.js'
import { CLIENTS, failureOf, openPeer, type Peer } from '../support/peers.js'
import { startRouter } from '../support/router.js'

/** wamp.registration.* procedures and events: exact spec shapes and order. */

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/
const topicsAndArgs = (m: MetaRecorder): Array<[string, unknown[]]> =>
  m.events.map((e) => [e.topic.replace('wamp.registration.', ''), e.args])

async function call(peer: Peer, uri: string, args: unknown[] = []): Promise<unknown> {
  return (await peer.call(uri, args)).args[0]
}

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('registration meta with %s over %s', (kind, ser) => {
  it('on_create then on_register; on_unregister then on_delete; shapes as the spec gives them', async () => {
    const router = await startRouter()
    const meta = await MetaRecorder.start(await openPeer(kind, router.url, ser), REGISTRATION_EVENTS)
    const a = await openPeer(kind, router.url, ser)
    const b = await openPeer(kind, router.url, ser)
    const id = await a.register('com.example.m', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    await b.register('com.example.m', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    await a.unregister('com.example.m')
    await b.leave()
    await meta.waitForTopic('wamp.registration.on_delete')
    expect(topicsAndArgs(meta)).toEqual([
      ['on_create', [a.id, { id, created: expect.stringMatching(ISO), uri: 'com.example.m', match: 'exact', invoke: 'roundrobin' }]],
      ['on_register', [a.id, id]],
      ['on_register', [b.id, id]],
      ['on_unregister', [a.id, id]],
      ['on_unregister', [b.id, id]],
      ['on_delete', [b.id, id]],
    ])
  })

  it('list, lookup, match, get, list_callees and count_callees', async () => {
    const router = await startRouter()
    const a = await openPeer(kind, router.url, ser)
    const b = await openPeer(kind, router.url, ser)
    const exact = await a.register('com.example.x.run', () => ({}), { invoke: 'first' })
    await b.register('com.example.x.run', () => ({}), { invoke: 'first' })
    const prefix = await a.register('com.example.x', () => ({}), { match: 'prefix' })
    const wildcard = await b.register('com.example..stop', () => ({}), { match: 'wildcard', invoke: 'last' })
    const q = await openPeer(kind, router.url, ser)

    expect(await call(q, 'wamp.registration.list')).toEqual({ exact: [exact], prefix: [prefix], wildcard: [wildcard] })
    expect(await call(q, 'wamp.registration.lookup', ['com.example.x.run'])).toBe(exact)
    expect(await call(q, 'wamp.registration.lookup', ['com.example.x', { match: 'prefix' }])).toBe(prefix)
    expect(await call(q, 'wamp.registration.lookup', ['com.example..stop', { match: 'wildcard' }])).toBe(wildcard)
    expect(await call(q, 'wamp.registration.lookup', ['com.example.x'])).toBeNull()
    expect(await call(q, 'wamp.registration.lookup', ['com.example.nothing'])).toBeNull()
    expect(await call(q, 'wamp.registration.match', ['com.example.x.run'])).toBe(exact)
    expect(await call(q, 'wamp.registration.match', ['com.example.x.walk'])).toBe(prefix)
    expect(await call(q, 'wamp.registration.match', ['com.example.y.stop'])).toBe(wildcard)
    expect(await call(q, 'wamp.registration.match', ['org.other'])).toBeNull()
    expect(await call(q, 'wamp.registration.get', [wildcard])).toEqual({
      id: wildcard,
      created: expect.stringMatching(ISO),
      uri: 'com.example..stop',
      match: 'wildcard',
      invoke: 'last',
      callees: [{ session: b.id, concurrency: null }],
    })
    expect(await call(q, 'wamp.registration.list_callees', [exact])).toEqual([a.id, b.id])
    expect(await call(q, 'wamp.registration.count_callees', [exact])).toBe(2)
    expect(await call(q, 'wamp.registration.count_callees', [prefix])).toBe(1)
    for (const uri of ['wamp.registration.get', 'wamp.registration.list_callees', 'wamp.registration.count_callees']) {
      expect((await failureOf(q.call(uri, [4242]))).uri).toBe('wamp.error.no_such_registration')
    }
  })
})

describe('registration meta events in context', () => {
  it('a session that leaves: on_unregister and on_delete for its registrations come before its on_leave', async () => {
    const router = await startRouter()
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), [...REGISTRATION_EVENTS, 'wamp.session.on_leave'])
    const callee = await openPeer('wampy', router.url, 'cbor')
    const id = await callee.register('com.example.gone', () => ({}))
    await callee.leave()
    await meta.waitForTopic('wamp.session.on_leave')
    expect(meta.events.map((e) => [e.topic, e.args[0], e.args[1]])).toEqual([
      ['wamp.registration.on_create', callee.id, expect.objectContaining({ id })],
      ['wamp.registration.on_register', callee.id, id],
      ['wamp.registration.on_unregister', callee.id, id],
      ['wamp.registration.on_delete', callee.id, id],
      ['wamp.session.on_leave', callee.id, `anonymous-${callee.id}`],
    ])
  })

  it('remove_callee publishes on_unregister (and on_delete for the last callee)', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), [
      'wamp.registration.on_unregister',
      'wamp.registration.on_delete',
    ])
    const a = await openPeer('autobahn', router.url)
    const id = await a.register('com.example.r', () => ({}))
    await admin.call('wamp.registration.remove_callee', [id, a.id])
    await meta.waitForTopic('wamp.registration.on_delete')
    expect(topicsAndArgs(meta)).toEqual([
      ['on_unregister', [a.id, id]],
      ['on_delete', [a.id, id]],
    ])
    expect(await admin.call('wamp.registration.lookup', ['com.example.r'])).toBeNull()
  })

  it('a failed REGISTER publishes no meta event', async () => {
    const router = await startRouter()
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), REGISTRATION_EVENTS)
    const a = await openPeer('autobahn', router.url)
    const id = await a.register('com.example.one', () => ({}))
    const b = await openPeer('autobahn', router.url)
    await failureOf(b.register('com.example.one', () => ({})))
    await b.register('com.example.two', () => ({}))
    await meta.waitFor((e) => e.topic === 'wamp.registration.on_register' && e.args[0] === b.id, 'on_register of b')
    expect(meta.events.filter((e) => e.args[1] === id || (e.args[1] as { id?: number }).id === id).map((e) => e.topic)).toEqual([
      'wamp.registration.on_create',
      'wamp.registration.on_register',
    ])
  })
})
