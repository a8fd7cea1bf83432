import { describe, expect, it } from 'vitest'
import { adminSession, authRealm } from '../support/admin.js'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { MetaRecorder, SESSION_EVENTS } from '../support/meta.js'
import { failureOf, openPeer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** wamp.session.* procedures and events, exact spec shapes (docs/architecture.md), and WELCOME's features. */

const details = (id: number, authid: string, authrole: string, authmethod: string, protocol: string): Record<string, unknown> => ({
  session: id,
  authid,
  authrole,
  authmethod,
  authprovider: 'static',
  transport: { type: 'websocket', protocol, peer: expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/) },
})

describe('session meta events', () => {
  it.each(SERIALIZERS)('over %s: on_join carries the session details, on_leave [session, authid, authrole]', async (ser) => {
    const router = await startRouter()
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url, ser), SESSION_EVENTS)
    const peer = await RawPeer.joined(router.url, ser, { authid: 'joiner' })
    const join = await meta.waitForTopic('wamp.session.on_join')
    expect(join.args).toEqual([details(peer.sessionId, 'joiner', 'anonymous', 'anonymous', `wamp.2.${ser}`)])
    peer.send([6, {}, 'wamp.close.normal'])
    expect(await peer.nextOf(6)).toEqual([6, {}, 'wamp.close.goodbye_and_out'])
    const leave = await meta.waitForTopic('wamp.session.on_leave')
    expect(leave.args).toEqual([peer.sessionId, 'joiner', 'anonymous'])
  })
})

describe('session meta procedures', () => {
  it('count and list, with and without an authrole filter; get; get of an unknown id', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const a = await autobahnSession(router.url, 'msgpack', { authid: 'alice', authmethods: ['ticket'], onchallenge: () => 'alice-ticket' })
    const w = await openPeer('wampy', router.url, 'cbor')
    expect(await a.call('wamp.session.count')).toBe(3)
    expect(await a.call('wamp.session.count', [['admin']])).toBe(1)
    expect(await a.call('wamp.session.count', [['nobody']])).toBe(0)
    expect(new Set((await a.call('wamp.session.list')) as number[])).toEqual(new Set([admin.id, a.id, w.id]))
    expect(new Set((await a.call('wamp.session.list', [['anonymous']])) as number[])).toEqual(new Set([a.id, w.id]))
    expect(await a.call('wamp.session.list', [['admin']])).toEqual([admin.id])
    expect(await w.call('wamp.session.get', [admin.id])).toEqual({
      args: [details(admin.id, 'admin', 'admin', 'ticket', 'wamp.2.json')],
      kwargs: {},
    })
    expect(await a.call('wamp.session.get', [a.id])).toEqual(details(a.id, 'alice', 'anonymous', 'ticket', 'wamp.2.msgpack'))
    const missing = await failureOf(a.call('wamp.session.get', [123456789]) as unknown as Promise<unknown>)
    expect(missing.uri).toBe('wamp.error.no_such_session')
    const bad = await failureOf(a.call('wamp.session.get', ['not an id']) as unknown as Promise<unknown>)
    expect(bad.uri).toBe('wamp.error.invalid_argument')
  })

  it('kill: the session gets GOODBYE with the reason and message, on_leave follows; killing oneself is no_such_session', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), ['wamp.session.on_leave'])
    const victim = await RawPeer.joined(router.url, 'cbor')
    expect(await admin.call('wamp.session.kill', [victim.sessionId], { reason: 'com.example.evicted', message: 'make room' })).toBeNull()
    expect(await victim.nextOf(6)).toEqual([6, { message: 'make room' }, 'com.example.evicted'])
    victim.send([6, {}, 'wamp.close.goodbye_and_out'])
    expect((await victim.closed).code).toBe(1000)
    expect((await meta.waitForTopic('wamp.session.on_leave', 0, victim.sessionId)).args).toEqual([
      victim.sessionId,
      `anonymous-${victim.sessionId}`,
      'anonymous',
    ])
    expect((await failureOf(admin.call('wamp.session.kill', [admin.id]) as unknown as Promise<unknown>)).uri).toBe(
      'wamp.error.no_such_session',
    )
    expect((await failureOf(admin.call('wamp.session.kill', [victim.sessionId]) as unknown as Promise<unknown>)).uri).toBe(
      'wamp.error.no_such_session',
    )
  })

  it('kill without a reason uses wamp.close.normal; an invalid reason URI is refused', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const victim = await RawPeer.joined(router.url)
    expect(
      (await failureOf(admin.call('wamp.session.kill', [victim.sessionId], { reason: 'not a uri' }) as unknown as Promise<unknown>)).uri,
    ).toBe('wamp.error.invalid_uri')
    await admin.call('wamp.session.kill', [victim.sessionId])
    expect(await victim.nextOf(6)).toEqual([6, {}, 'wamp.close.normal'])
  })

  it('kill_by_authid returns the list of killed ids and spares the caller', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), ['wamp.session.on_leave'])
    // Two sessions of one principal (anonymous sessions cannot share a principal's authid: they get their own).
    const twin = async (ser: 'json' | 'msgpack'): Promise<RawPeer> => {
      const p = await RawPeer.open(router.url, ser)
      await p.hello('realm1', { authid: 'alice', authmethods: ['ticket'] })
      p.send([5, 'alice-ticket', {}])
      p.sessionId = (await p.nextOf(2))[1] as number
      return p
    }
    const twins = [await twin('json'), await twin('msgpack')]
    const other = await openPeer('wampy', router.url)
    const killed = (await admin.call('wamp.session.kill_by_authid', ['alice'])) as number[]
    expect(new Set(killed)).toEqual(new Set(twins.map((t) => t.sessionId)))
    for (const t of twins) {
      expect(await t.nextOf(6)).toEqual([6, {}, 'wamp.close.normal'])
      await meta.waitForTopic('wamp.session.on_leave', 0, t.sessionId)
    }
    expect(await admin.call('wamp.session.kill_by_authid', ['admin'])).toEqual([])
    expect(await admin.call('wamp.session.kill_by_authid', ['nobody'])).toEqual([])
    expect((await other.call('wamp.session.count')).args).toEqual([3]) // admin, monitor, other
  })

  it('kill_by_authrole returns a count', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const victims = [await RawPeer.joined(router.url), await RawPeer.joined(router.url, 'cbor')]
    expect(await admin.call('wamp.session.kill_by_authrole', ['anonymous'], { reason: 'wamp.close.killed' })).toBe(2)
    for (const v of victims) expect(await v.nextOf(6)).toEqual([6, {}, 'wamp.close.killed'])
    expect(await admin.call('wamp.session.kill_by_authrole', ['admin'])).toBe(0)
    expect(await admin.call('wamp.session.count')).toBe(1)
  })

  it('kill_all returns a count, spares the caller and publishes no meta events', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const heard: string[] = []
    for (const topic of [
      'wamp.session.on_leave',
      'wamp.registration.on_unregister',
      'wamp.registration.on_delete',
      'wamp.subscription.on_delete',
    ]) {
      await admin.subscribe(topic, () => heard.push(topic))
    }
    const victims = [await RawPeer.joined(router.url), await RawPeer.joined(router.url, 'msgpack')]
    await victims[0]!.register('com.example.proc')
    victims[1]!.send([32, 1, {}, 'com.example.topic'])
    await victims[1]!.nextOf(33)
    expect(await admin.call('wamp.session.kill_all')).toBe(2)
    for (const v of victims) expect((await v.nextOf(6))[2]).toBe('wamp.close.normal')
    expect(await admin.call('wamp.session.count')).toBe(1) // a round trip after the kills: events would have come first
    expect(heard).toEqual([])
    expect(await admin.call('wamp.registration.lookup', ['com.example.proc'])).toBeNull()
  })
})

describe('WELCOME', () => {
  it.each(SERIALIZERS)('over %s: announces exactly the roles and features the router implements', async (ser) => {
    const router = await startRouter()
    const peer = await RawPeer.open(router.url, ser)
    const welcome = await peer.hello('realm1', { authid: 'w' })
    expect(welcome[0]).toBe(2)
    expect(welcome[2]).toEqual({
      realm: 'realm1',
      authid: 'w',
      authrole: 'anonymous',
      authmethod: 'anonymous',
      authprovider: 'static',
      agent: expect.any(String),
      roles: {
        broker: {
          features: {
            pattern_based_subscription: true,
            subscription_meta_api: true,
            session_meta_api: true,
            publisher_exclusion: true,
            publisher_identification: true,
            subscriber_blackwhite_listing: true,
          },
        },
        dealer: {
          features: {
            shared_registration: true,
            pattern_based_registration: true,
            registration_meta_api: true,
            session_meta_api: true,
            call_canceling: true,
            call_timeout: true,
            progressive_call_results: true,
            caller_identification: true,
            registration_revocation: true,
            testament_meta_api: true,
            x_wampctl_operations: true,
            x_wampctl_concurrency: true,
            x_wampctl_least_loaded: true,
            x_wampctl_rkey: true,
          },
        },
      },
    })
  })

  it('without the extensions, the wampctl feature is not announced and wampctl.* procedures do not exist', async () => {
    const router = await startRouter({ extensions: false })
    const peer = await RawPeer.open(router.url)
    const welcome = await peer.hello()
    expect(
      (welcome[2] as { roles: { dealer: { features: Record<string, unknown> } } }).roles.dealer.features.x_wampctl_operations,
    ).toBeUndefined()
    const reply = await peer.call('wampctl.registration.snapshot')
    expect(reply[4]).toBe('wamp.error.no_such_procedure')
  })
})
