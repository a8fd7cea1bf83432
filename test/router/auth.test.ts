import autobahn from 'autobahn'
import { Wampy } from 'wampy'
import { WebSocket } from 'ws'
import { describe, expect, it } from 'vitest'
import type { RealmConfig } from '../../src/router/config.js'
import { ADMIN_TICKET, adminSession, authRealm, craSession, craSign, CRA_SECRET } from '../support/admin.js'
import { autobahnSession, SERIALIZERS, wampySerializer } from '../support/clients.js'
import { failureOf, openPeer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** Ticket and WAMP-CRA authentication, and the admin role the mutating meta procedures need. */

describe.each(SERIALIZERS)('authentication over %s', (ser) => {
  it('ticket: the right ticket is welcomed with the principal’s role; a wrong one is aborted', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url, ser)
    expect(await admin.call('wamp.session.get', [admin.id])).toMatchObject({ authid: 'admin', authrole: 'admin', authmethod: 'ticket' })

    const raw = await RawPeer.open(router.url, ser)
    expect(await raw.hello('realm1', { authid: 'admin', authmethods: ['ticket'] })).toEqual([4, 'ticket', {}])
    raw.send([5, 'wrong-ticket', {}])
    expect(await raw.nextOf(3)).toEqual([3, { message: 'ticket authentication failed' }, 'wamp.error.authentication_denied'])
    await raw.closed

    const refused = autobahnSession(router.url, ser, { authid: 'admin', authmethods: ['ticket'], onchallenge: () => 'nope' })
    await expect(refused).rejects.toThrow(/wamp\.error\.authentication_denied/)
  })

  it('wampcra: autobahn.auth_cra.sign over the challenge is welcomed; a wrong secret is aborted', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const op = await craSession(router.url, ser)
    expect(await op.call('wamp.session.get', [op.id])).toMatchObject({ authid: 'operator', authrole: 'admin', authmethod: 'wampcra' })
    await expect(craSession(router.url, ser, 'not-the-secret')).rejects.toThrow(/wamp\.error\.authentication_denied/)

    const raw = await RawPeer.open(router.url, ser)
    const challenge = await raw.hello('realm1', { authid: 'operator', authmethods: ['wampcra'] })
    expect(challenge).toEqual([4, 'wampcra', { challenge: expect.any(String) }])
    const text = (challenge[2] as { challenge: string }).challenge
    expect(JSON.parse(text)).toMatchObject({ authid: 'operator', authmethod: 'wampcra', authrole: 'admin' })
    raw.send([5, craSign(CRA_SECRET, text), {}])
    expect((await raw.nextOf(2))[2]).toMatchObject({ authid: 'operator', authrole: 'admin', authmethod: 'wampcra' })
  })
})

describe('authentication details', () => {
  it('salted wampcra: the client derives the key with the salt, iterations and keylen from the challenge', async () => {
    const realm: RealmConfig = {
      name: 'realm1',
      auth: { wampcra: { salty: { secret: 's3cr3t', salt: 'pepper', iterations: 100, keylen: 32, role: 'admin' } } },
    }
    const router = await startRouter({ realms: [realm] })
    const cra = (autobahn as unknown as { auth_cra: { derive_key(s: string, salt: string, i: number, k: number): string } }).auth_cra
    const s = await autobahnSession(router.url, 'json', {
      authid: 'salty',
      authmethods: ['wampcra'],
      onchallenge: (_s, _m, extra) => {
        const e = extra as { challenge: string; salt: string; iterations: number; keylen: number }
        expect([e.salt, e.iterations, e.keylen]).toEqual(['pepper', 100, 32])
        return craSign(cra.derive_key('s3cr3t', e.salt, e.iterations, e.keylen), e.challenge)
      },
    })
    expect(s.isOpen).toBe(true)
  })

  it('an unknown principal gets the same answer as a wrong ticket; no method in common is wamp.error.no_auth_method', async () => {
    const router = await startRouter({ realms: [{ ...authRealm(), auth: { ...authRealm().auth, anonymous: false } }] })
    const stranger = await RawPeer.open(router.url)
    await stranger.hello('realm1', { authid: 'mallory', authmethods: ['ticket'] })
    stranger.send([5, ADMIN_TICKET, {}])
    expect(await stranger.nextOf(3)).toEqual([3, { message: 'ticket authentication failed' }, 'wamp.error.authentication_denied'])
    const anon = await RawPeer.open(router.url)
    expect(await anon.hello()).toEqual([3, { message: expect.stringContaining('anonymous') }, 'wamp.error.no_auth_method'])
  })

  it('wampy logs in with a ticket too', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const w = new Wampy(router.url, {
      realm: 'realm1',
      ws: WebSocket,
      serializer: wampySerializer('cbor'),
      autoReconnect: false,
      authid: 'admin',
      authmethods: ['ticket'],
      onChallenge: () => ADMIN_TICKET,
    } as never)
    try {
      const details = await w.connect()
      expect(details).toMatchObject({ authid: 'admin', authrole: 'admin', authmethod: 'ticket' })
    } finally {
      await w.disconnect().catch(() => {})
    }
  })

  it('per-URI permissions: a role limited to some URIs is refused the rest with wamp.error.not_authorized', async () => {
    const realm: RealmConfig = {
      name: 'realm1',
      roles: {
        anonymous: { permissions: [{ uri: 'com.example.open.', match: 'prefix', allow: ['call', 'register', 'subscribe', 'publish'] }] },
      },
    }
    const router = await startRouter({ realms: [realm] })
    const p = await openPeer('autobahn', router.url)
    await p.register('com.example.open.proc', () => ({ args: ['ok'] }))
    expect((await p.call('com.example.open.proc')).args).toEqual(['ok'])
    expect((await failureOf(p.register('com.example.closed.proc', () => ({})))).uri).toBe('wamp.error.not_authorized')
    expect((await failureOf(p.publish('com.example.closed.topic'))).uri).toBe('wamp.error.not_authorized')
    expect((await failureOf(p.subscribe('com.example.closed.topic', () => {}))).uri).toBe('wamp.error.not_authorized')
  })
})

describe('mutating meta procedures need the admin role', () => {
  const MUTATING: Array<[string, (ids: { victim: number; reg: number }) => unknown[]]> = [
    ['wamp.session.kill', ({ victim }) => [victim]],
    ['wamp.session.kill_by_authid', () => ['victim']],
    ['wamp.session.kill_by_authrole', () => ['anonymous']],
    ['wamp.session.kill_all', () => []],
    ['wamp.registration.remove_callee', ({ victim, reg }) => [reg, victim]],
    ['wampctl.callee.cordon', ({ victim, reg }) => [victim, reg]],
    ['wampctl.callee.uncordon', ({ victim, reg }) => [victim, reg]],
    ['wampctl.callee.drain', ({ victim, reg }) => [victim, reg, { timeout_ms: 100, then: 'none' }]],
    ['wampctl.registration.set_weight', ({ victim, reg }) => [reg, victim, 0]],
  ]

  it.each(MUTATING)('an anonymous session is refused %s with wamp.error.not_authorized and nothing changes', async (uri, args) => {
    const router = await startRouter({ realms: [authRealm()] })
    const victim = await openPeer('autobahn', router.url, 'msgpack', { authid: 'victim' })
    const reg = await victim.register('com.example.victim', () => ({ args: ['still here'] }), { invoke: 'roundrobin' })
    const anon = await autobahnSession(router.url, 'cbor')
    const err = await failureOf(anon.call(uri, args({ victim: victim.id, reg })) as unknown as Promise<unknown>)
    expect(err.uri).toBe('wamp.error.not_authorized')
    expect(String(err.args[0])).toMatch(/admin/)
    expect(await anon.call('com.example.victim')).toBe('still here')
    expect(await anon.call('wamp.registration.list_callees', [reg])).toEqual([victim.id])
  })

  it('an admin (wampcra) may: cordon takes a callee out of rotation, kill ends the session', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const victim = await openPeer('autobahn', router.url, 'json')
    const reg = await victim.register('com.example.victim', () => ({ args: ['here'] }), { invoke: 'roundrobin' })
    const op = await craSession(router.url, 'msgpack')
    await op.call('wampctl.callee.cordon', [victim.id, reg])
    expect((await failureOf(op.call('com.example.victim') as unknown as Promise<unknown>)).uri).toBe('wamp.error.no_available_callee')
    await op.call('wampctl.callee.uncordon', [victim.id, reg])
    expect(await op.call('com.example.victim')).toBe('here')
    expect(await op.call('wamp.session.kill', [victim.id])).toBeNull()
    expect(await op.call('wamp.session.count')).toBe(1)
  })
})
