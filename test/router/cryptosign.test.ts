import { describe, expect, it } from 'vitest'
import type { RealmConfig } from '../../src/router/config.js'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { autobahnSignChallenge, cryptosignKey, signChallenge, type CryptosignKey } from '../support/cryptosign.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/**
 * WAMP-Cryptosign (Ed25519): autobahn-js signs the router's challenge with tweetnacl, a raw peer
 * with Node's crypto; the principal comes from the config by authid or by public key, and its
 * role is authorized like any ticket or CRA role.
 */

const service = cryptosignKey()
const spare = cryptosignKey()
const reader = cryptosignKey()
const stranger = cryptosignKey()

function realm(): RealmConfig {
  return {
    name: 'realm1',
    roles: {
      service: { permissions: [{ uri: '', match: 'prefix', allow: ['call', 'register', 'publish', 'subscribe'] }] },
      reader: { permissions: [{ uri: 'com.example.', match: 'prefix', allow: ['call', 'subscribe'] }] },
    },
    auth: {
      anonymous: false,
      cryptosign: {
        'svc-1': { role: 'service', pubkeys: [service.pubkey, spare.pubkey.toUpperCase()] },
        'reader-1': { role: 'reader', pubkeys: [reader.pubkey] },
      },
    },
  }
}

function cryptosignSession(url: string, key: CryptosignKey, ser: (typeof SERIALIZERS)[number] = 'json', authid?: string) {
  return autobahnSession(url, ser, {
    authid,
    authmethods: ['cryptosign'],
    authextra: { pubkey: key.pubkey },
    onchallenge: (_s, method, extra) => {
      if (method !== 'cryptosign') throw new Error(`unexpected challenge ${method}`)
      return autobahnSignChallenge(key, extra)
    },
  })
}

/** HELLO with cryptosign over a raw peer: the CHALLENGE it gets. */
async function challenged(url: string, pubkey: unknown, authid?: string): Promise<{ peer: RawPeer; challenge: string }> {
  const peer = await RawPeer.open(url, 'json')
  const reply = await peer.hello('realm1', {
    authmethods: ['cryptosign'],
    authextra: { pubkey },
    ...(authid === undefined ? {} : { authid }),
  })
  expect(reply).toEqual([4, 'cryptosign', { challenge: expect.stringMatching(/^[0-9a-f]{64}$/), channel_binding: null }])
  return { peer, challenge: (reply[2] as { challenge: string }).challenge }
}

describe('cryptosign', () => {
  it.each(SERIALIZERS)('autobahn-js over %s: welcomed by authid with the principal’s role', async (ser) => {
    const router = await startRouter({ realms: [realm()] })
    const s = await cryptosignSession(router.url, service, ser, 'svc-1')
    expect(await s.call('wamp.session.get', [s.id])).toMatchObject({
      authid: 'svc-1',
      authrole: 'service',
      authmethod: 'cryptosign',
      authprovider: 'static',
    })
  })

  it('without an authid the principal is found by public key (any of its keys, hex in any case)', async () => {
    const router = await startRouter({ realms: [realm()] })
    const a = await cryptosignSession(router.url, spare)
    expect(await a.call('wamp.session.get', [a.id])).toMatchObject({ authid: 'svc-1', authrole: 'service' })
    const { peer, challenge } = await challenged(router.url, reader.pubkey.toUpperCase())
    peer.send([5, signChallenge(reader, challenge), {}])
    expect((await peer.nextOf(2))[2]).toMatchObject({ authid: 'reader-1', authrole: 'reader', authmethod: 'cryptosign' })
  })

  it('authorizes by role: the reader may call but not register', async () => {
    const router = await startRouter({ realms: [realm()] })
    const svc = await cryptosignSession(router.url, service, 'json', 'svc-1')
    await svc.register('com.example.echo', (args?: unknown[]) => args?.[0])
    const r = await cryptosignSession(router.url, reader, 'msgpack', 'reader-1')
    expect(await r.call('com.example.echo', ['hi'])).toBe('hi')
    await expect(r.register('com.example.mine', () => 1)).rejects.toMatchObject({ error: 'wamp.error.not_authorized' })
  })

  it('a key the principal does not hold, an unknown key, a bad or replayed signature: authentication_denied', async () => {
    // Seven failures in a row: more than the default lockout allows (auth-throttle.ts, tested in impostors.test.ts).
    const router = await startRouter({ realms: [realm()], authThrottle: { maxFailures: 100 } })
    const failed = [3, { message: 'cryptosign authentication failed' }, 'wamp.error.authentication_denied']
    // reader's key under svc-1's authid, signed correctly.
    let c = await challenged(router.url, reader.pubkey, 'svc-1')
    c.peer.send([5, signChallenge(reader, c.challenge), {}])
    expect(await c.peer.nextOf(3)).toEqual(failed)
    // A key nobody holds: still challenged (principals are not revealed), then refused.
    c = await challenged(router.url, stranger.pubkey)
    c.peer.send([5, signChallenge(stranger, c.challenge), {}])
    expect(await c.peer.nextOf(3)).toEqual(failed)
    // The right principal, signed by another key.
    c = await challenged(router.url, service.pubkey, 'svc-1')
    c.peer.send([5, signChallenge(stranger, c.challenge), {}])
    expect(await c.peer.nextOf(3)).toEqual(failed)
    // A valid signature over another challenge (replay) and malformed answers.
    const old = await challenged(router.url, service.pubkey, 'svc-1')
    for (const answer of [signChallenge(service, old.challenge), 'zz', signChallenge(service, 'ab'.repeat(32)).slice(0, 128)]) {
      c = await challenged(router.url, service.pubkey, 'svc-1')
      c.peer.send([5, answer, {}])
      expect(await c.peer.nextOf(3)).toEqual(failed)
    }
    // autobahn-js with the wrong key.
    await expect(cryptosignSession(router.url, stranger, 'json', 'svc-1')).rejects.toThrow(/wamp\.error\.authentication_denied/)
  })

  it('HELLO without a usable public key is aborted at once', async () => {
    const router = await startRouter({ realms: [realm()] })
    for (const authextra of [undefined, {}, { pubkey: 'abc' }, { pubkey: 42 }]) {
      const peer = await RawPeer.open(router.url, 'json')
      const reply = await peer.hello('realm1', {
        authmethods: ['cryptosign'],
        authid: 'svc-1',
        ...(authextra === undefined ? {} : { authextra }),
      })
      expect(reply).toEqual([
        3,
        { message: 'cryptosign authentication needs HELLO.Details.authextra.pubkey (32 bytes, hex)' },
        'wamp.error.authentication_failed',
      ])
    }
  })

  it('a realm without cryptosign principals does not offer it', async () => {
    const router = await startRouter({
      realms: [{ name: 'realm1', auth: { anonymous: false, ticket: { t: { ticket: 'x', role: 'anonymous' } } } }],
    })
    const peer = await RawPeer.open(router.url, 'json')
    const reply = await peer.hello('realm1', { authmethods: ['cryptosign'], authextra: { pubkey: service.pubkey } })
    expect(reply[0]).toBe(3)
    expect(reply[2]).toBe('wamp.error.no_auth_method')
  })
})
