import { describe, expect, it } from 'vitest'
import { routerWithBystanders } from '../support/bystanders.js'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { failureOf } from '../support/peers.js'
import { PROTOCOL, RawPeer, refusedUpgrade } from '../support/raw-peer.js'

/**
 * Invalid URIs (ERROR wamp.error.invalid_uri, session kept), oversize frames (ERROR
 * wamp.error.payload_size_exceeded, session kept), refused WebSocket upgrades and unknown realms.
 */

const BAD_URIS = ['com.example..double', '.com.example', 'com.example.', 'com example.space', 'com.example.#hash', '', 'x'.repeat(1100)]

describe.each(SERIALIZERS)('invalid URIs over %s', (ser) => {
  it('REGISTER, CALL, SUBSCRIBE and PUBLISH with an invalid URI get ERROR wamp.error.invalid_uri; the session stays', async () => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const peer = await RawPeer.joined(router.url, ser)
    for (const uri of BAD_URIS) {
      for (const [code, build] of [
        [64, (r: number) => [64, r, {}, uri]],
        [48, (r: number) => [48, r, {}, uri]],
        [32, (r: number) => [32, r, {}, uri]],
        [16, (r: number) => [16, r, { acknowledge: true }, uri]],
      ] as const) {
        const r = peer.nextRequest()
        peer.send(build(r))
        const err = await peer.next((m) => m[0] === 8 && m[2] === r, `ERROR for ${code} ${uri.slice(0, 20)}`)
        expect([code, uri.slice(0, 20), err[1], err[4]]).toEqual([code, uri.slice(0, 20), code, 'wamp.error.invalid_uri'])
        expect((err[5] as string[])[0]).toMatch(/invalid URI/)
      }
    }
    // Pattern policies accept empty components (wildcards) but still refuse whitespace and '#'.
    expect((await peer.register('com..wild', { match: 'wildcard' }))[0]).toBe(65)
    expect((await peer.register('com. bad', { match: 'wildcard' }))[4]).toBe('wamp.error.invalid_uri')
    const reply = await peer.call('wamp.session.count')
    expect(reply).toEqual([50, reply[1], {}, [3]])
    await stillServing()
  })
})

describe('invalid URIs covered by pattern registrations', () => {
  it.each(SERIALIZERS)(
    'over %s: a CALL with an invalid URI is refused even when a prefix or wildcard registration would match it',
    async (ser) => {
      const { router, stillServing } = await routerWithBystanders(ser)
      const callee = await RawPeer.joined(router.url, ser)
      expect((await callee.register('com', { match: 'prefix' }))[0]).toBe(65)
      expect((await callee.register('org..double', { match: 'wildcard' }))[0]).toBe(65)
      callee.serve((inv) => [70, inv[1], {}, ['routed']])
      const caller = await RawPeer.joined(router.url, ser)
      for (const uri of ['com.example..double', 'com example', 'com.#', 'com.', 'org..double']) {
        const reply = await caller.call(uri)
        expect([uri, reply[0], reply[4]]).toEqual([uri, 8, 'wamp.error.invalid_uri'])
      }
      expect((await caller.call('com.example.fine'))[3]).toEqual(['routed'])
      expect(callee.received.filter((m) => m[0] === 68)).toHaveLength(1)
      await stillServing()
    },
  )
})

describe('strict URIs (router option strictUris)', () => {
  it('refuses upper-case and punctuation the loose rules accept', async () => {
    const { router, stillServing } = await routerWithBystanders('json', { strictUris: true })
    const peer = await RawPeer.joined(router.url)
    expect((await peer.register('com.Example.Proc'))[4]).toBe('wamp.error.invalid_uri')
    expect((await peer.register('com.example.with-dash'))[4]).toBe('wamp.error.invalid_uri')
    expect((await peer.register('com.example.proc_1'))[0]).toBe(65)
    await stillServing()
  })
})

describe.each(SERIALIZERS)('oversize frames over %s (maxMessageSize 4096)', (ser) => {
  const options = { maxMessageSize: 4096 }
  const big = 'x'.repeat(5000)

  it('a CALL over the limit gets ERROR wamp.error.payload_size_exceeded and the session keeps working', async () => {
    const { router, stillServing } = await routerWithBystanders(ser, options)
    const caller = await autobahnSession(router.url, ser)
    const err = await failureOf(caller.call('com.example.alive', [big]) as unknown as Promise<unknown>)
    expect(err.uri).toBe('wamp.error.payload_size_exceeded')
    expect(String(err.args[0])).toMatch(/exceeds the limit of 4096 bytes/)
    expect(await caller.call('com.example.alive', ['small'])).toEqual(expect.objectContaining({ args: ['alive', 'small'] }))
    await stillServing()
  })

  it('PUBLISH and REGISTER over the limit get ERROR; a YIELD over the limit fails the call, not the callee', async () => {
    const { router, stillServing } = await routerWithBystanders(ser, options)
    const peer = await RawPeer.joined(router.url, ser)
    const p = peer.nextRequest()
    peer.send([16, p, { acknowledge: true }, 'com.example.t', [big]])
    expect(await peer.nextOf(8, 16)).toEqual([8, 16, p, {}, 'wamp.error.payload_size_exceeded', [expect.any(String)]])
    expect((await peer.register(`com.example.${'p'.repeat(4200)}`))[4]).toBe('wamp.error.payload_size_exceeded')

    await peer.register('com.example.big')
    peer.serve((inv) => [70, inv[1], {}, [(inv[4] as string[])[0] === 'big' ? big : 'small']])
    const caller = await RawPeer.joined(router.url, ser)
    expect(await caller.call('com.example.big', ['big'])).toEqual([
      8,
      48,
      expect.any(Number),
      {},
      'wamp.error.payload_size_exceeded',
      [expect.any(String)],
    ])
    expect(await caller.call('com.example.big', ['small'])).toEqual([50, expect.any(Number), {}, ['small']])
    await stillServing()
  })

  it('a HELLO over the limit is aborted; a frame far over the limit closes only that transport', async () => {
    const { router, stillServing } = await routerWithBystanders(ser, options)
    const hello = await RawPeer.open(router.url, ser)
    hello.send([1, 'realm1', { roles: { caller: {} }, authextra: { pad: big } }])
    expect(await hello.nextOf(3)).toEqual([3, { message: expect.stringMatching(/exceeds the limit/) }, 'wamp.error.protocol_violation'])
    const huge = await RawPeer.joined(router.url, ser)
    huge.send([48, 1, {}, 'com.example.alive', ['y'.repeat(64 * 1024)]])
    expect((await huge.closed).code).toBe(1009)
    await stillServing()
  })
})

describe('refused connections', () => {
  it('no WAMP subprotocol offered: HTTP 400 with a clear reason; sessions already open are untouched', async () => {
    const { router, stillServing } = await routerWithBystanders()
    const none = await refusedUpgrade(router.url, [])
    expect(none.status).toBe(400)
    expect(none.body).toMatch(
      /no supported WAMP subprotocol offered \(got: none\); offer one of wamp\.2\.json, wamp\.2\.msgpack, wamp\.2\.cbor/,
    )
    const other = await refusedUpgrade(router.url, ['mqtt', 'wamp.2.xml'])
    expect(other.status).toBe(400)
    expect(other.body).toMatch(/got: mqtt, wamp\.2\.xml/)
    await stillServing()
  })

  it('a wrong path: HTTP 404 naming the right one', async () => {
    const { router, stillServing } = await routerWithBystanders()
    const res = await refusedUpgrade(router.url.replace(/\/ws$/, '/nope'), [PROTOCOL.json])
    expect(res.status).toBe(404)
    expect(res.body).toMatch(/no WAMP endpoint at \/nope; use \/ws/)
    await stillServing()
  })

  it("the client's first acceptable subprotocol is the one used", async () => {
    const { router } = await routerWithBystanders()
    const peer = await RawPeer.open(router.url, 'cbor', ['wamp.2.bogus', PROTOCOL.cbor, PROTOCOL.json])
    expect(peer.ws.protocol).toBe('wamp.2.cbor')
    expect((await peer.hello())[0]).toBe(2)
  })

  it.each(SERIALIZERS)('over %s: an unknown realm is aborted with wamp.error.no_such_realm', async (ser) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const peer = await RawPeer.open(router.url, ser)
    expect(await peer.hello('realm-nobody-serves')).toEqual([
      3,
      { message: expect.stringContaining('realm-nobody-serves') },
      'wamp.error.no_such_realm',
    ])
    await peer.closed
    await stillServing()
  })
})
