import { describe, expect, it } from 'vitest'
import { routerWithBystanders } from '../support/bystanders.js'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { openPeer } from '../support/peers.js'
import { RawPeer, type Message } from '../support/raw-peer.js'

/**
 * Values one serializer carries and another cannot, `null` Arguments from other clients, request
 * ids outside [1, 2^53] and options of the wrong type: each gets a defined spec answer, nothing
 * is left in flight, nothing is an internal error, and bystanders keep being served.
 */

const BIG = 2n ** 64n + 5n

/** Calls in flight on every callee of `uri`, as the router counts them. */
async function inflight(peer: RawPeer, uri: string): Promise<number[]> {
  const snap = (await peer.call('wampctl.registration.snapshot'))[3] as [
    { registrations: Array<{ uri: string; callees: Array<{ inflight: number }> }> },
  ]
  return snap[0].registrations.find((r) => r.uri === uri)!.callees.map((c) => c.inflight)
}

describe('values a receiver’s serializer cannot carry (a CBOR bignum for a JSON peer)', () => {
  it('CALL: the caller gets ERROR invalid_argument, the JSON callee is not invoked, nothing is in flight', async () => {
    const { router, stillServing, internalErrors } = await routerWithBystanders('cbor')
    const callee = await autobahnSession(router.url, 'json')
    let invoked = 0
    await callee.register('com.example.json_callee', (args) => {
      invoked++
      return args?.[0]
    })
    const caller = await RawPeer.joined(router.url, 'cbor')
    const reply = await caller.call('com.example.json_callee', [BIG])
    expect(reply).toEqual([
      8,
      48,
      expect.any(Number),
      {},
      'wamp.error.invalid_argument',
      [expect.stringMatching(/cannot be encoded for a wamp\.2\.json peer/)],
    ])
    expect(await caller.call('com.example.json_callee', [7])).toEqual([50, expect.any(Number), {}, [7]])
    expect(invoked).toBe(1)
    expect(await inflight(caller, 'com.example.json_callee')).toEqual([0])
    expect(internalErrors).toEqual([])
    await stillServing()
  })

  it('YIELD and ERROR: the JSON caller gets ERROR invalid_argument; the call is finished', async () => {
    const { router, stillServing } = await routerWithBystanders('cbor')
    const callee = await RawPeer.joined(router.url, 'cbor')
    await callee.register('com.example.bignum')
    callee.serve((inv) => {
      const what = (inv[4] as string[])[0]
      if (what === 'yield') return [70, inv[1], {}, [BIG]]
      if (what === 'error') return [8, 68, inv[1], {}, 'com.example.failed', [BIG]]
      return [70, inv[1], {}, ['small']]
    })
    const caller = await RawPeer.joined(router.url, 'json')
    for (const what of ['yield', 'error']) {
      expect(await caller.call('com.example.bignum', [what])).toEqual([
        8,
        48,
        expect.any(Number),
        {},
        'wamp.error.invalid_argument',
        [expect.stringMatching(/cannot be encoded for a wamp\.2\.json peer/)],
      ])
    }
    expect(await caller.call('com.example.bignum', ['ok'])).toEqual([50, expect.any(Number), {}, ['small']])
    expect(await inflight(caller, 'com.example.bignum')).toEqual([0])
    await stillServing()
  })

  it('EVENT: the JSON subscriber is skipped (and counted), the CBOR one gets it', async () => {
    const { router, stillServing } = await routerWithBystanders('cbor')
    const json = await RawPeer.joined(router.url, 'json')
    const cbor = await RawPeer.joined(router.url, 'cbor')
    for (const p of [json, cbor]) {
      const r = p.nextRequest()
      p.send([32, r, {}, 'com.example.big'])
      await p.nextOf(33, r)
    }
    const publisher = await RawPeer.joined(router.url, 'cbor')
    const r = publisher.nextRequest()
    publisher.send([16, r, { acknowledge: true }, 'com.example.big', [BIG]])
    await publisher.nextOf(17, r)
    expect((await cbor.nextOf(36))[4]).toEqual([BIG])
    publisher.send([16, publisher.nextRequest(), {}, 'com.example.big', ['small']])
    expect((await json.nextOf(36))[4]).toEqual(['small'])
    expect(json.received.filter((m) => m[0] === 36)).toHaveLength(1)
    expect(router.counters.eventsDropped.get('unencodable')).toBe(1)
    await stillServing()
  })
})

describe('null Arguments and ArgumentsKw (nexus, Autobahn|Python) are taken as absent', () => {
  it.each(SERIALIZERS)('over %s: CALL, YIELD, PUBLISH and ERROR with null; nothing the router sends carries null', async (ser) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const callee = await RawPeer.joined(router.url, ser)
    await callee.register('com.example.kw')
    callee.serve((inv) => {
      const kw = inv[5] as { mode?: string } | undefined
      if (kw?.mode === 'error') return [8, 68, inv[1], {}, 'com.example.refused', null, { why: 'asked' }]
      if (kw === undefined) return [70, inv[1], {}, null, null]
      return [70, inv[1], {}, null, { echo: kw }]
    })
    const sub = await RawPeer.joined(router.url, ser)
    sub.send([32, sub.nextRequest(), {}, 'com.example.kw_topic'])
    await sub.nextOf(33)
    const caller = await RawPeer.joined(router.url, ser)
    caller.send([48, 1, {}, 'com.example.kw', null, { reason: 'nexus' }])
    expect(await caller.callReply(1)).toEqual([50, 1, {}, [], { echo: { reason: 'nexus' } }])
    caller.send([48, 2, {}, 'com.example.kw', null, { mode: 'error' }])
    expect(await caller.callReply(2)).toEqual([8, 48, 2, {}, 'com.example.refused', [], { why: 'asked' }])
    caller.send([48, 3, {}, 'com.example.kw', null])
    expect(await caller.callReply(3)).toEqual([50, 3, {}])
    caller.send([16, 4, { acknowledge: true }, 'com.example.kw_topic', null, { n: 1 }])
    await caller.nextOf(17, 4)
    expect(await sub.nextOf(36)).toEqual([36, expect.any(Number), expect.any(Number), {}, [], { n: 1 }])
    expect(callee.received.filter((m) => m[0] === 68)).toEqual([
      [68, expect.any(Number), expect.any(Number), {}, [], { reason: 'nexus' }],
      [68, expect.any(Number), expect.any(Number), {}, [], { mode: 'error' }],
      [68, expect.any(Number), expect.any(Number), {}],
    ])
    for (const m of [...callee.received, ...caller.received, ...sub.received]) expect(m.slice(3)).not.toContain(null)
    await stillServing()
  })

  it('the nexus Go client’s kill_all shape reaches the meta procedure (an anonymous caller is refused, not cut off)', async () => {
    const { router, stillServing } = await routerWithBystanders('json')
    const peer = await RawPeer.joined(router.url)
    peer.send([48, 1, {}, 'wamp.session.kill_all', null, { reason: 'wamp.close.killed' }])
    expect((await peer.callReply(1))[4]).toBe('wamp.error.not_authorized')
    expect((await peer.call('wamp.session.count'))[0]).toBe(50)
    await stillServing()
  })
})

describe('request ids and option types', () => {
  const badIds: Array<[string, Message]> = [
    ['request id 0', [48, 0, {}, 'com.example.alive']],
    ['request id 2^53 + 2', [48, 2 ** 53 + 2, {}, 'com.example.alive']],
    ['request id 1.5', [16, 1.5, {}, 'com.example.t']],
    ['subscription id 0', [34, 1, 0]],
    ['YIELD request -3', [70, -3, {}]],
  ]
  it.each(badIds)('%s is a protocol violation (ids are integers in [1, 2^53])', async (_what, frame) => {
    const { router, stillServing } = await routerWithBystanders('msgpack')
    const peer = await RawPeer.joined(router.url, 'msgpack')
    peer.send(frame)
    expect(await peer.nextOf(3)).toEqual([
      3,
      { message: expect.stringMatching(/must be an integer id in \[1, 2\^53\]/) },
      'wamp.error.protocol_violation',
    ])
    await stillServing()
  })

  const badOptions: Array<[string, (r: number) => Message, RegExp]> = [
    ['CALL timeout as a string', (r) => [48, r, { timeout: '1000' }, 'com.example.alive'], /timeout must be a non-negative integer/],
    ['CALL timeout negative', (r) => [48, r, { timeout: -1 }, 'com.example.alive'], /timeout must be a non-negative integer/],
    ['CALL timeout fractional', (r) => [48, r, { timeout: 1.5 }, 'com.example.alive'], /timeout must be a non-negative integer/],
    [
      'CALL receive_progress as a string',
      (r) => [48, r, { receive_progress: 'yes' }, 'com.example.alive'],
      /receive_progress must be a boolean/,
    ],
    ['CALL disclose_me as a number', (r) => [48, r, { disclose_me: 1 }, 'com.example.alive'], /disclose_me must be a boolean/],
    [
      'PUBLISH eligible of strings',
      (r) => [16, r, { acknowledge: true, eligible: ['1'] }, 'com.example.t'],
      /eligible must be a list of session ids/,
    ],
    [
      'PUBLISH exclude_authid of numbers',
      (r) => [16, r, { acknowledge: true, exclude_authid: [1] }, 'com.example.t'],
      /exclude_authid must be a list of strings/,
    ],
    [
      'PUBLISH exclude_me as a string',
      (r) => [16, r, { acknowledge: true, exclude_me: 'false' }, 'com.example.t'],
      /exclude_me must be a boolean/,
    ],
    ['REGISTER match as a number', (r) => [64, r, { match: 1 }, 'com.example.m'], /match must be a string/],
    ['REGISTER invoke as a list', (r) => [64, r, { invoke: ['roundrobin'] }, 'com.example.m'], /invoke must be a string/],
    ['SUBSCRIBE match as a bool', (r) => [32, r, { match: true }, 'com.example.t'], /match must be a string/],
  ]
  it.each(badOptions)('%s: ERROR wamp.error.invalid_argument, the session is kept', async (_what, build, why) => {
    const { router, stillServing } = await routerWithBystanders('json')
    const peer = await RawPeer.joined(router.url)
    const r = peer.nextRequest()
    const frame = build(r)
    peer.send(frame)
    expect(await peer.next((m) => m[0] === 8 && m[2] === r)).toEqual([
      8,
      frame[0],
      r,
      {},
      'wamp.error.invalid_argument',
      [expect.stringMatching(why)],
    ])
    expect((await peer.call('wamp.session.count'))[0]).toBe(50)
    await stillServing()
  })

  it('CANCEL with a mode of the wrong type gets ERROR invalid_argument and the call is still answered', async () => {
    const { router, stillServing } = await routerWithBystanders('json')
    const callee = await openPeer('autobahn', router.url)
    let release: (() => void) | undefined
    await callee.register('com.example.slow', () => new Promise((resolve) => (release = () => resolve({ args: ['done'] }))))
    const peer = await RawPeer.joined(router.url)
    peer.send([48, 5, {}, 'com.example.slow'])
    await expect.poll(() => release !== undefined).toBe(true)
    peer.send([49, 5, { mode: 7 }])
    expect(await peer.next((m) => m[0] === 8 && m[1] === 49)).toEqual([
      8,
      49,
      5,
      {},
      'wamp.error.invalid_argument',
      [expect.stringMatching(/mode must be a string/)],
    ])
    release!()
    expect(await peer.callReply(5)).toEqual([50, 5, {}, ['done']])
    await stillServing()
  })
})
