import { describe, expect, it } from 'vitest'
import { ADMIN_TICKET, authRealm } from '../support/admin.js'
import { autobahnSession } from '../support/clients.js'
import { ALL_META_EVENTS, MetaRecorder } from '../support/meta.js'
import { failureOf, openPeer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** Realms are isolated: registrations, events, meta events and meta procedures stay in their realm. */

describe('multi-realm isolation', () => {
  it('meta events go only to the realm of the session that caused them', async () => {
    const router = await startRouter({ realms: ['realm1', 'realm2'] })
    const meta2 = await MetaRecorder.start(await openPeer('autobahn', router.url, 'json', { realm: 'realm2' }), ALL_META_EVENTS)
    const one = await openPeer('wampy', router.url, 'msgpack') // realm1
    await one.register('com.example.proc', () => ({ args: ['realm1'] }))
    await one.subscribe('com.example.topic', () => {})
    await one.leave()
    const witness = await RawPeer.joined(router.url, 'cbor', {}, 'realm2')
    await meta2.waitFor(
      (e) => e.topic === 'wamp.session.on_join' && (e.args[0] as { session: number }).session === witness.sessionId,
      'on_join of the realm2 witness',
    )
    expect(meta2.events.map((e) => e.topic)).toEqual(['wamp.session.on_join'])
  })

  it('registrations, events and meta procedures do not cross realms; the same URI may be registered in each', async () => {
    const router = await startRouter({ realms: ['realm1', 'realm2'] })
    const a1 = await openPeer('autobahn', router.url, 'json', { realm: 'realm1' })
    const a2 = await openPeer('autobahn', router.url, 'cbor', { realm: 'realm2' })
    await a1.register('com.example.proc', () => ({ args: ['one'] }))
    expect((await failureOf(a2.call('com.example.proc'))).uri).toBe('wamp.error.no_such_procedure')
    await a2.register('com.example.proc', () => ({ args: ['two'] }))
    expect((await a1.call('com.example.proc')).args).toEqual(['one'])
    expect((await a2.call('com.example.proc')).args).toEqual(['two'])

    const got2: unknown[] = []
    let gotOne!: () => void
    const one = new Promise<void>((r) => (gotOne = r))
    await a2.subscribe('com.example.topic', (e) => {
      got2.push(e.args[0])
      gotOne()
    })
    const p1 = await openPeer('wampy', router.url, 'json', { realm: 'realm1' })
    await p1.publish('com.example.topic', ['from realm1'])
    await a1.publish('com.example.topic', ['also realm1'])
    const p2 = await openPeer('wampy', router.url, 'json', { realm: 'realm2' })
    await p2.publish('com.example.topic', ['from realm2'])
    await one // realm2's own event; realm1's two were published (and acknowledged) before it
    expect(got2).toEqual(['from realm2'])

    expect((await a2.call('wamp.session.list')).args[0]).toEqual(expect.arrayContaining([a2.id, p2.id]))
    expect((await a2.call('wamp.session.list')).args[0]).not.toContain(a1.id)
    expect((await a2.call('wamp.session.count')).args).toEqual([2])
    const reg1 = (await a1.call('wamp.registration.lookup', ['com.example.proc'])).args[0] as number
    expect((await failureOf(a2.call('wamp.registration.get', [reg1]))).uri).toBe('wamp.error.no_such_registration')
    expect((await failureOf(a2.call('wamp.session.get', [a1.id]))).uri).toBe('wamp.error.no_such_session')
  })

  it("an admin of one realm cannot kill another realm's session", async () => {
    const router = await startRouter({ realms: [authRealm('realm1'), authRealm('realm2')] })
    const admin2 = await autobahnSession(router.url, 'json', {
      realm: 'realm2',
      authid: 'admin',
      authmethods: ['ticket'],
      onchallenge: () => ADMIN_TICKET,
    })
    const victim = await openPeer('wampy', router.url, 'json', { realm: 'realm1' })
    const err = await failureOf(admin2.call('wamp.session.kill', [victim.id]) as unknown as Promise<unknown>)
    expect(err.uri).toBe('wamp.error.no_such_session')
    expect(await admin2.call('wamp.session.kill_all')).toBe(0)
    expect((await victim.call('wamp.session.count')).args).toEqual([1])
  })

  it('HELLO for a realm the router does not serve is aborted with wamp.error.no_such_realm', async () => {
    const router = await startRouter({ realms: ['realm1'] })
    const peer = await RawPeer.open(router.url)
    const abort = await peer.hello('nowhere')
    expect(abort).toEqual([3, { message: expect.stringContaining('nowhere') }, 'wamp.error.no_such_realm'])
    await peer.closed
  })
})
