import { describe, expect, it } from 'vitest'
import { SERIALIZERS } from '../support/clients.js'
import { CLIENTS, failureOf, openPeer, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/**
 * Pattern-based registrations with the spec's best-match rules (ap_rpc_pattern_based_registration):
 * exact > prefix with the most URI components > wildcard with the longest literal portions, left to
 * right; INVOCATION.Details.procedure carries the concrete URI.
 */

// The spec's example registrations, numbered as in the spec.
const EXACT_AND_PREFIX: Array<[string, string, string]> = [
  ['1', 'a1.b2.c3.d4.e55', 'exact'],
  ['2', 'a1.b2.c3', 'prefix'],
  ['3', 'a1.b2.c3.d4', 'prefix'],
]
const WILDCARDS: Array<[string, string, string]> = [
  ['4', 'a1.b2..d4.e5', 'wildcard'],
  ['5', 'a1.b2.c3..e5', 'wildcard'],
  ['6', 'a1.b2..d4.e5..g7', 'wildcard'],
  ['7', 'a1.b2..d4..f6.g7', 'wildcard'],
]

async function registerAll(callee: Peer, regs: Array<[string, string, string]>): Promise<Map<string, number>> {
  const ids = new Map<string, number>()
  for (const [label, uri, match] of regs) {
    ids.set(label, await callee.register(uri, (inv) => ({ args: [label, inv.details.procedure] }), match === 'exact' ? {} : { match }))
  }
  return ids
}

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('best match with %s over %s', (kind, ser) => {
  it("follows the spec's exact and prefix examples, and the wildcard ones once no prefix covers the call", async () => {
    const router = await startRouter()
    const callee = await openPeer(kind, router.url, ser)
    await registerAll(callee, [...EXACT_AND_PREFIX, ...WILDCARDS])
    const caller = await openPeer(kind, router.url, ser)
    const route = async (uri: string): Promise<unknown[]> => (await caller.call(uri)).args

    expect((await route('a1.b2.c3.d4.e55'))[0]).toBe('1')
    expect(await route('a1.b2.c3.d98.e74')).toEqual(['2', 'a1.b2.c3.d98.e74'])
    expect(await route('a1.b2.c3.d4.e325')).toEqual(['3', 'a1.b2.c3.d4.e325'])
    expect(await route('a1.b2.c55.d4.e5')).toEqual(['4', 'a1.b2.c55.d4.e5'])
    // Prefixes come before wildcards: RPC 3 covers this call, so it wins over wildcards 4 and 5
    // (the spec lists this example as if its prefix registrations were absent; see the next test).
    expect(await route('a1.b2.c3.d4.e5')).toEqual(['3', 'a1.b2.c3.d4.e5'])
    expect(await route('a1.b2.c88.d4.e5.f6.g7')).toEqual(['6', 'a1.b2.c88.d4.e5.f6.g7'])
    const miss = await failureOf(caller.call('a2.b2.c2.d2.e2'))
    expect(miss.uri).toBe('wamp.error.no_such_procedure')
  })

  it('among wildcards alone, the longest literal portions win, compared left to right', async () => {
    const router = await startRouter()
    const callee = await openPeer(kind, router.url, ser)
    await registerAll(callee, WILDCARDS)
    const caller = await openPeer(kind, router.url, ser)
    expect((await caller.call('a1.b2.c3.d4.e5')).args).toEqual(['5', 'a1.b2.c3.d4.e5'])
    expect((await caller.call('a1.b2.c55.d4.e5')).args).toEqual(['4', 'a1.b2.c55.d4.e5'])
    expect((await caller.call('a1.b2.c88.d4.e5.f6.g7')).args).toEqual(['6', 'a1.b2.c88.d4.e5.f6.g7'])
    expect((await failureOf(caller.call('a1.b2.c3.d4.e5.f6'))).uri).toBe('wamp.error.no_such_procedure')
  })

  it('when the best match goes away, the next best one serves at once', async () => {
    const router = await startRouter()
    const callee = await openPeer(kind, router.url, ser)
    await registerAll(callee, [...EXACT_AND_PREFIX, ['4', 'a1.b2..d4.e55', 'wildcard']])
    const caller = await openPeer(kind, router.url, ser)
    expect((await caller.call('a1.b2.c3.d4.e55')).args[0]).toBe('1')
    await callee.unregister('a1.b2.c3.d4.e55')
    expect((await caller.call('a1.b2.c3.d4.e55')).args[0]).toBe('3')
    await callee.unregister('a1.b2.c3.d4')
    expect((await caller.call('a1.b2.c3.d4.e55')).args[0]).toBe('2')
    await callee.unregister('a1.b2.c3')
    expect((await caller.call('a1.b2.c3.d4.e55')).args[0]).toBe('4')
  })
})

describe('pattern matching details', () => {
  it('prefix matching is a plain string prefix, as the spec example lists', async () => {
    const router = await startRouter()
    const callee = await openPeer('wampy', router.url)
    await callee.register('com.myapp.myobject1', (inv) => ({ args: [inv.details.procedure] }), { match: 'prefix' })
    const caller = await openPeer('autobahn', router.url) // wampy's own URI check refuses '-'
    for (const uri of [
      'com.myapp.myobject1.myprocedure1',
      'com.myapp.myobject1-mysubobject1',
      'com.myapp.myobject1.mysubobject1.myprocedure1',
      'com.myapp.myobject1',
    ]) {
      expect((await caller.call(uri)).args).toEqual([uri])
    }
    for (const uri of ['com.myapp.myobject2', 'com.myapp.myobject']) {
      expect((await failureOf(caller.call(uri))).uri).toBe('wamp.error.no_such_procedure')
    }
  })

  it('a wildcard matches whole components only, with the same number of components', async () => {
    const router = await startRouter()
    const callee = await openPeer('wampy', router.url)
    await callee.register('com.myapp..myprocedure1', (inv) => ({ args: [inv.details.procedure] }), { match: 'wildcard' })
    const caller = await openPeer('autobahn', router.url)
    for (const uri of ['com.myapp.myobject1.myprocedure1', 'com.myapp.myobject2.myprocedure1']) {
      expect((await caller.call(uri)).args).toEqual([uri])
    }
    for (const uri of [
      'com.myapp.myobject1.myprocedure1.mysubprocedure1',
      'com.myapp.myobject1.myprocedure2',
      'com.myapp2.myobject1.myprocedure1',
    ]) {
      expect((await failureOf(caller.call(uri))).uri).toBe('wamp.error.no_such_procedure')
    }
  })

  it('wildcard precedence counts URI components, not string length', async () => {
    const router = await startRouter()
    const callee = await openPeer('autobahn', router.url)
    // 'a.b..d' has the longer first portion (2 components); 'a..cccccccccccccccc.d' is the longer string.
    await callee.register('a.b..d', () => ({ args: ['two-first'] }), { match: 'wildcard' })
    await callee.register('a..cccccccccccccccc.d', () => ({ args: ['long-string'] }), { match: 'wildcard' })
    const caller = await openPeer('autobahn', router.url)
    expect((await caller.call('a.b.cccccccccccccccc.d')).args).toEqual(['two-first'])
  })

  it('INVOCATION.Details.procedure is set for pattern registrations only (raw wire)', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    const exact = await callee.register('com.example.exact')
    const prefix = await callee.register('com.example.pre', { match: 'prefix' })
    callee.serve((inv) => [70, inv[1], {}, [inv[2], inv[3]]])
    const caller = await openPeer('wampy', router.url)
    expect((await caller.call('com.example.exact')).args).toEqual([exact[2], {}])
    expect((await caller.call('com.example.pre.fix')).args).toEqual([prefix[2], { procedure: 'com.example.pre.fix' }])
  })
})
