import { describe, expect, it } from 'vitest'
import { ADMIN_TICKET, adminSession, authRealm, craSign, CRA_SECRET } from '../support/admin.js'
import { routerWithBystanders } from '../support/bystanders.js'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { openPeer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'

/**
 * Impostors and guessing: an anonymous session cannot carry a principal's authid, repeated
 * authentication failures lock out the authid and the address, a WAMP-CRA challenge does not
 * tell who exists, and refused credentials are wamp.error.authentication_denied.
 */

describe.each(SERIALIZERS)('anonymous authids over %s', (ser) => {
  it('on a realm with principals, an anonymous claim of "admin" is assigned a router name and reported apart', async () => {
    const { router, stillServing } = await routerWithBystanders(ser, { realms: [authRealm()] })
    const impostor = await RawPeer.open(router.url, ser)
    const welcome = await impostor.hello('realm1', { authid: 'admin' })
    const id = welcome[1] as number
    expect(welcome[2]).toMatchObject({ authid: `anonymous-${id}`, authrole: 'anonymous', authextra: { claimed_authid: 'admin' } })

    const admin = await adminSession(router.url, ser)
    expect(await admin.call('wamp.session.get', [id])).toMatchObject({ authid: `anonymous-${id}`, authextra: { claimed_authid: 'admin' } })
    // Events for the principal go to the principal only.
    const got: unknown[] = []
    await admin.subscribe('com.example.secret', (args) => void got.push(args?.[0]))
    const r = impostor.nextRequest()
    impostor.send([32, r, {}, 'com.example.secret'])
    await impostor.nextOf(33, r)
    const publisher = await autobahnSession(router.url, ser)
    await publisher.publish('com.example.secret', ['for admin'], {}, { acknowledge: true, eligible_authid: ['admin'] })
    await expect.poll(() => got).toEqual(['for admin'])
    // Caller disclosure shows the assigned authid, not the claim.
    const callee = await openPeer('autobahn', router.url, ser)
    let seen: unknown
    await callee.register('com.example.who', (inv) => ((seen = inv.details.caller_authid), { args: ['ok'] }), { disclose_caller: true })
    expect((await impostor.call('com.example.who'))[0]).toBe(50)
    expect(seen).toBe(`anonymous-${id}`)
    expect(impostor.received.filter((m) => m[0] === 36)).toEqual([])
    await stillServing()
  })

  it('a claim that names no principal is kept, on a realm with principals too (instances keep their readable names)', async () => {
    const { router, stillServing } = await routerWithBystanders(ser, { realms: [authRealm()] })
    const worker = await autobahnSession(router.url, ser, { authid: 'worker-1' })
    expect(await worker.call('wamp.session.get', [worker.id])).toMatchObject({ authid: 'worker-1', authmethod: 'anonymous' })
    // Every method's principals are protected: 'operator' is a wampcra principal.
    const p = await RawPeer.open(router.url, ser)
    const welcome = await p.hello('realm1', { authid: 'operator' })
    expect(welcome[2]).toMatchObject({ authid: `anonymous-${welcome[1] as number}`, authextra: { claimed_authid: 'operator' } })
    await stillServing()
  })
})

describe('anonymous authid settings', () => {
  it("'assigned' names every anonymous session by the router and reports the claim apart", async () => {
    const { router, stillServing } = await routerWithBystanders('json', {
      realms: [{ name: 'realm1', auth: { anonymous: { role: 'anonymous', authid: 'assigned' } } }],
    })
    const p = await RawPeer.open(router.url)
    const welcome = await p.hello('realm1', { authid: 'worker-1' })
    expect(welcome[2]).toMatchObject({ authid: `anonymous-${welcome[1] as number}`, authextra: { claimed_authid: 'worker-1' } })
    const unnamed = await RawPeer.open(router.url)
    const w2 = await unnamed.hello()
    expect(w2[2]).toMatchObject({ authid: `anonymous-${w2[1] as number}` })
    expect((w2[2] as Record<string, unknown>).authextra).toBeUndefined()
    await stillServing()
  })
})

describe('guessing', () => {
  it('after 3 wrong tickets (maxFailures and maxFailuresPerAddress 3) the authid and the address are locked out, logged; anonymous sessions still join', async () => {
    const { router, stillServing, warnings } = await routerWithBystanders('json', {
      realms: [authRealm()],
      authThrottle: { maxFailures: 3, maxFailuresPerAddress: 3, windowMs: 60_000, lockoutMs: 60_000 },
    })
    for (let i = 0; i < 3; i++) {
      const p = await RawPeer.open(router.url)
      expect(await p.hello('realm1', { authid: 'admin', authmethods: ['ticket'] })).toEqual([4, 'ticket', {}])
      p.send([5, `guess-${i}`, {}])
      expect(await p.nextOf(3)).toEqual([3, { message: 'ticket authentication failed' }, 'wamp.error.authentication_denied'])
    }
    // The right ticket is refused now, for that authid and for any other from the same address.
    for (const authid of ['admin', 'alice']) {
      const p = await RawPeer.open(router.url)
      expect(await p.hello('realm1', { authid, authmethods: ['ticket'] })).toEqual([
        3,
        {
          message: expect.stringMatching(
            /too many failed authentications for (authid 'admin'|address tcp:127\.0\.0\.1); try again in \d+ s/,
          ),
        },
        'wamp.error.authentication_denied',
      ])
    }
    await expect(
      autobahnSession(router.url, 'json', { authid: 'admin', authmethods: ['ticket'], onchallenge: () => ADMIN_TICKET }),
    ).rejects.toThrow(/authentication_denied/)
    expect(warnings.filter((w) => w.startsWith('authentication failed: ticket for authid'))).toHaveLength(3)
    expect(warnings.filter((w) => w.startsWith('authentication locked out:'))).toEqual([
      expect.stringContaining("authid 'admin' on realm 'realm1' for 60 s after 3 failures within 60 s"),
      expect.stringContaining('address tcp:127.0.0.1 for 60 s'),
    ])
    expect((await RawPeer.open(router.url).then((p) => p.hello()))[0]).toBe(2)
    await stillServing()
  })
})

describe('WAMP-CRA challenges do not tell who exists', () => {
  it('an unknown authid gets a challenge of the same shape, a configured role, and a stable salt when principals are salted', async () => {
    const { router, stillServing } = await routerWithBystanders('json', {
      realms: [
        {
          name: 'realm1',
          auth: { wampcra: { operator: { secret: CRA_SECRET, role: 'admin', salt: 'pepper-salt', iterations: 100, keylen: 32 } } },
        },
      ],
    })
    const challengeOf = async (authid: string): Promise<{ extra: Record<string, unknown>; challenge: Record<string, unknown> }> => {
      const p = await RawPeer.open(router.url)
      const c = await p.hello('realm1', { authid, authmethods: ['wampcra'] })
      expect(c[0]).toBe(4)
      const extra = c[2] as Record<string, unknown>
      p.terminate()
      return { extra, challenge: JSON.parse(extra.challenge as string) as Record<string, unknown> }
    }
    const real = await challengeOf('operator')
    const fake = await challengeOf('mallory')
    expect(Object.keys(fake.extra).sort()).toEqual(Object.keys(real.extra).sort())
    expect(Object.keys(fake.challenge).sort()).toEqual(Object.keys(real.challenge).sort())
    expect(fake.challenge.authrole).toBe('admin')
    expect([fake.extra.iterations, fake.extra.keylen]).toEqual([100, 32])
    expect(typeof fake.extra.salt).toBe('string')
    expect((await challengeOf('mallory')).extra.salt).toBe(fake.extra.salt)
    // Answering the decoy, even with the real principal's secret, is refused like a wrong secret.
    const p = await RawPeer.open(router.url)
    const c = await p.hello('realm1', { authid: 'mallory', authmethods: ['wampcra'] })
    p.send([5, craSign(CRA_SECRET, (c[2] as { challenge: string }).challenge), {}])
    expect(await p.nextOf(3)).toEqual([3, { message: 'wampcra authentication failed' }, 'wamp.error.authentication_denied'])
    await stillServing()
  })
})
