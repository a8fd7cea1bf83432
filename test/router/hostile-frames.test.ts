import { Encoder as CborEncoder } from 'cbor-x'
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { routerWithBystanders } from '../support/bystanders.js'
import { autobahnSession, SERIALIZERS, type SerializerName } from '../support/clients.js'
import { failureOf } from '../support/peers.js'
import { RawPeer, type Message } from '../support/raw-peer.js'

/**
 * Frames that cost the router more than they are worth are refused before they are decoded: a
 * small size limit until the session is established, a nesting-depth limit and element counts
 * for every serializer, no reference extensions. Answers are the spec's: ERROR for a request of
 * an established session (which is kept), ABORT otherwise; bystanders keep being served.
 */

function nested(depth: number): unknown {
  let v: unknown = 'bottom'
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

function manyKeys(n: number): Record<string, number> {
  const o: Record<string, number> = {}
  for (let i = 0; i < n; i++) o[`k${i}`] = i
  return o
}

describe('before the session is established', () => {
  it.each(SERIALIZERS)('over %s: a HELLO over 64 KiB is aborted without being decoded; far over it closes the transport', async (ser) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const big = await RawPeer.open(router.url, ser)
    big.send([1, 'realm1', { roles: { caller: {} }, authextra: { pad: 'x'.repeat(70 * 1024) } }])
    expect(await big.nextOf(3)).toEqual([
      3,
      { message: expect.stringMatching(/exceeds the limit of 65536 bytes/) },
      'wamp.error.protocol_violation',
    ])
    const huge = await RawPeer.open(router.url, ser)
    huge.send([1, 'realm1', { roles: { caller: {} }, authextra: { pad: 'x'.repeat(300 * 1024) } }])
    expect((await huge.closed).code).toBe(1009)
    await stillServing()
  })

  it('the issue’s frames before HELLO (a 16 MiB msgpack map, 8 MB of "[", an array of nils) close only their transports', async () => {
    const { router, stillServing } = await routerWithBystanders('msgpack')
    const map = Buffer.alloc(16 * 1024 * 1024, 0xc0)
    map[0] = 0xdf
    map.writeUInt32BE(8 * 1024 * 1024 - 3, 1)
    const nils = Buffer.alloc(4 * 1024 * 1024, 0xc0)
    nils[0] = 0xdd
    nils.writeUInt32BE(nils.length - 5, 1)
    for (const [ser, frame] of [
      ['msgpack', map],
      ['json', '['.repeat(8 * 1024 * 1024)],
      ['msgpack', nils],
    ] as const) {
      const p = await RawPeer.open(router.url, ser)
      p.sendFrame(frame)
      expect((await p.closed).code).toBe(1009)
    }
    await stillServing()
  })

  it('a HELLO nested too deep within the size limit is aborted as a protocol violation', async () => {
    const { router, stillServing } = await routerWithBystanders('cbor')
    const p = await RawPeer.open(router.url, 'cbor')
    p.send([1, 'realm1', { roles: { caller: {} }, authextra: { deep: nested(200) } }])
    expect(await p.nextOf(3)).toEqual([
      3,
      { message: expect.stringMatching(/nested deeper than 64 levels/) },
      'wamp.error.protocol_violation',
    ])
    await stillServing()
  })
})

describe.each(SERIALIZERS)('an established session over %s', (ser) => {
  it('a CALL nested too deep, or with too many values or dict entries, gets ERROR invalid_argument; the session is kept', async () => {
    const { router, stillServing } = await routerWithBystanders(ser, { maxMessageElements: 20_000, maxMessageMapEntries: 1000 })
    const peer = await RawPeer.joined(router.url, ser)
    const cases: Array<[unknown[] | undefined, Record<string, unknown> | undefined, RegExp]> = [
      [[nested(100)], undefined, /nested deeper than 64 levels/],
      [new Array(20_001).fill(1), undefined, /more than 20000 values/],
      [[], manyKeys(1001), /more than 1000 dict entries/],
    ]
    for (const [args, kwargs, why] of cases) {
      expect(await peer.call('com.example.alive', args, kwargs)).toEqual([
        8,
        48,
        expect.any(Number),
        {},
        'wamp.error.invalid_argument',
        [expect.stringMatching(why)],
      ])
    }
    // Just under the limits is fine.
    expect((await peer.call('com.example.alive', [nested(60)]))[0]).toBe(50)
    expect((await peer.call('com.example.alive', [], manyKeys(999)))[0]).toBe(50)
    await stillServing()
  })

  it('a YIELD nested too deep fails the call (its caller gets ERROR invalid_argument), nothing is left in flight', async () => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const callee = await RawPeer.joined(router.url, ser)
    await callee.register('com.example.deep')
    callee.serve((inv) => [70, inv[1], {}, [(inv[4] as string[] | undefined)?.[0] === 'deep' ? nested(100) : 'flat']])
    const caller = await autobahnSession(router.url, ser)
    const err = await failureOf(caller.call('com.example.deep', ['deep']) as unknown as Promise<unknown>)
    expect(err.uri).toBe('wamp.error.invalid_argument')
    expect(String(err.args[0])).toMatch(/nested deeper than 64 levels/)
    expect(await caller.call('com.example.deep', ['flat'])).toBe('flat')
    const snap = (await caller.call('wampctl.registration.snapshot')) as {
      registrations: Array<{ uri: string; callees: Array<{ inflight: number }> }>
    }
    expect(snap.registrations.find((r) => r.uri === 'com.example.deep')!.callees[0]!.inflight).toBe(0)
    await stillServing()
  })
})

describe('reference extensions (cyclic structures) are refused before decoding', () => {
  const o: Record<string, unknown> = { a: 1 }
  o.self = o
  const frames: Array<[SerializerName, Buffer, RegExp]> = [
    [
      'msgpack',
      new Packr({ structuredClone: true }).pack([48, 1, {}, 'com.example.alive', [o]]),
      /msgpack extension type \d+ is not accepted/,
    ],
    [
      'cbor',
      new CborEncoder({ structuredClone: true } as ConstructorParameters<typeof CborEncoder>[0]).encode([
        48,
        1,
        {},
        'com.example.alive',
        [o],
      ]),
      /CBOR tag \d+ is not accepted/,
    ],
  ]
  it.each(frames)('over %s: ABORT protocol_violation, only that session', async (ser, frame, why) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const peer = await RawPeer.joined(router.url, ser)
    peer.sendFrame(frame)
    expect(await peer.nextOf(3)).toEqual([3, { message: expect.stringMatching(why) }, 'wamp.error.protocol_violation'])
    expect((await peer.closed).code).toBe(1002)
    await stillServing()
  })
})

describe('a frame far over maxMessageSize is answered from its head, never decoded', () => {
  it.each(SERIALIZERS)('over %s: CALL and PUBLISH of 3x the limit get ERROR payload_size_exceeded', async (ser) => {
    const { router, stillServing } = await routerWithBystanders(ser, { maxMessageSize: 64 * 1024 })
    const peer = await RawPeer.joined(router.url, ser)
    const pad = 'p'.repeat(3 * 64 * 1024)
    const r = peer.nextRequest()
    peer.send([16, r, { acknowledge: true }, 'com.example.topic', [pad]] as Message)
    expect(await peer.nextOf(8, 16)).toEqual([
      8,
      16,
      r,
      {},
      'wamp.error.payload_size_exceeded',
      [expect.stringMatching(/exceeds the limit of 65536/)],
    ])
    expect((await peer.call('com.example.alive', [pad]))[4]).toBe('wamp.error.payload_size_exceeded')
    await stillServing()
  })
})

describe('short JSON and msgpack frames are not scanned (structure-scan.ts: they cannot break a limit)', () => {
  it.each(['json', 'msgpack'] as const)(
    'over %s the depth limit still holds for short frames when it is set low: the unscanned size follows it',
    async (ser) => {
      // maxNestingDepth 6 leaves HELLO (5 levels) and the bystanders alone; a CALL of 25–45 bytes 7 levels deep is refused.
      const { router, stillServing } = await routerWithBystanders(ser, { maxNestingDepth: 6 })
      const peer = await RawPeer.joined(router.url, ser)
      expect(await peer.call('com.example.alive', [nested(5)])).toEqual([
        8,
        48,
        expect.any(Number),
        {},
        'wamp.error.invalid_argument',
        [expect.stringMatching(/nested deeper than 6 levels/)],
      ])
      expect((await peer.call('com.example.alive', [nested(4)]))[0]).toBe(50)
      await stillServing()
    },
  )

  it('with the default limits a short JSON CALL is served, and short broken text is a protocol violation: ABORT, only that session', async () => {
    const { router, stillServing } = await routerWithBystanders('json')
    const peer = await RawPeer.joined(router.url, 'json')
    expect(await peer.call('com.example.alive', [nested(2)])).toEqual([50, expect.any(Number), {}, ['alive', nested(2)]])
    // 100 opening brackets and no closing one: deeper than 64 to a scan, not JSON to JSON.parse.
    const broken = `[48,${peer.nextRequest()},{},"com.example.alive",${'['.repeat(100)}`
    expect(broken.length).toBeLessThanOrEqual(129)
    peer.sendFrame(broken)
    expect(await peer.nextOf(3)).toEqual([
      3,
      { message: expect.stringMatching(/could not decode a wamp.2.json frame/) },
      'wamp.error.protocol_violation',
    ])
    expect((await peer.closed).code).toBe(1002)
    await stillServing()
  })

  /** A short msgpack CALL of com.example.alive whose arguments list is `args` (raw bytes). */
  const shortMsgpackCall = (request: number, args: number[]): Buffer =>
    Buffer.from([0x95, 0x30, request, 0x80, 0xb1, ...Buffer.from('com.example.alive'), ...args])

  it.each([
    ['the unused byte 0xc1', [0x91, 0xc1], /byte 0xc1 is not msgpack/],
    ['an extension (msgpackr record definition)', [0x91, 0xd4, 0x72, 0x00], /msgpack extension type 114 is not accepted/],
    ['a list promising 65,535 items', [0xdc, 0xff, 0xff], /could not decode a wamp.2.msgpack frame/],
  ])('a short msgpack frame with %s is still refused: ABORT protocol_violation, only that session', async (_, args, why) => {
    const { router, stillServing } = await routerWithBystanders('msgpack')
    const peer = await RawPeer.joined(router.url, 'msgpack')
    const frame = shortMsgpackCall(peer.nextRequest(), args)
    expect(frame.length).toBeLessThanOrEqual(64)
    peer.sendFrame(frame)
    expect(await peer.nextOf(3)).toEqual([3, { message: expect.stringMatching(why) }, 'wamp.error.protocol_violation'])
    expect((await peer.closed).code).toBe(1002)
    await stillServing()
  })
})
