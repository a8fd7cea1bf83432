import { describe, expect, it } from 'vitest'
import type { SerializerName } from '../support/clients.js'
import { RawPeer, type Message } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/**
 * Payloads pass through untouched (args, kwargs, error args/kwargs) across serializers, and empty
 * args/kwargs are omitted on the wire, never sent as null. Checked on the raw wire.
 */

const ARGS = [0, -1, 2 ** 53, 1.5, 'ünïcødé ✓', true, false, null, [], {}, { deep: [{ x: [1, { y: 'z' }] }] }]
const KWARGS = { n: 42, s: 'str', list: [1, 'two', null], nested: { a: { b: { c: [] } } }, 'dotted.key': true }

/** Pairs of (caller/publisher serializer, callee/subscriber serializer), each serializer on both sides. */
const PAIRS: Array<[SerializerName, SerializerName]> = [
  ['json', 'msgpack'],
  ['msgpack', 'cbor'],
  ['cbor', 'json'],
  ['json', 'json'],
]

async function rpcPair(callerSer: SerializerName, calleeSer: SerializerName): Promise<{ caller: RawPeer; callee: RawPeer; reg: number }> {
  const router = await startRouter()
  const callee = await RawPeer.joined(router.url, calleeSer)
  const reg = (await callee.register('com.example.echo'))[2] as number
  const caller = await RawPeer.joined(router.url, callerSer)
  return { caller, callee, reg }
}

/** Send CALL with the given trailing payload elements; return the INVOCATION the callee got. */
async function invocationFor(caller: RawPeer, callee: RawPeer, payload: unknown[]): Promise<{ request: number; invocation: Message }> {
  const request = caller.nextRequest()
  caller.send([48, request, {}, 'com.example.echo', ...payload])
  return { request, invocation: await callee.nextOf(68) }
}

describe.each(PAIRS)('RPC payloads from %s to %s', (callerSer, calleeSer) => {
  it('args and kwargs reach the callee and come back untouched', async () => {
    const { caller, callee, reg } = await rpcPair(callerSer, calleeSer)
    const { request, invocation } = await invocationFor(caller, callee, [ARGS, KWARGS])
    expect(invocation).toEqual([68, invocation[1], reg, {}, ARGS, KWARGS])
    callee.send([70, invocation[1], {}, ARGS, KWARGS])
    expect(await caller.callReply(request)).toEqual([50, request, {}, ARGS, KWARGS])
  })

  it('empty args and kwargs are omitted, never null; kwargs alone travel with [] args', async () => {
    const { caller, callee, reg } = await rpcPair(callerSer, calleeSer)
    const empty = await invocationFor(caller, callee, [[], {}])
    expect(empty.invocation).toEqual([68, empty.invocation[1], reg, {}])
    callee.send([70, empty.invocation[1], {}, [], {}])
    expect(await caller.callReply(empty.request)).toEqual([50, empty.request, {}])

    const argsOnly = await invocationFor(caller, callee, [['a'], {}])
    expect(argsOnly.invocation).toEqual([68, argsOnly.invocation[1], reg, {}, ['a']])
    callee.send([70, argsOnly.invocation[1], {}, ['r']])
    expect(await caller.callReply(argsOnly.request)).toEqual([50, argsOnly.request, {}, ['r']])

    const kwOnly = await invocationFor(caller, callee, [[], { k: 1 }])
    expect(kwOnly.invocation).toEqual([68, kwOnly.invocation[1], reg, {}, [], { k: 1 }])
    callee.send([70, kwOnly.invocation[1], {}, [], { r: 2 }])
    expect(await caller.callReply(kwOnly.request)).toEqual([50, kwOnly.request, {}, [], { r: 2 }])
  })

  it('a callee ERROR reaches the caller with its URI, args and kwargs untouched; empty ones omitted', async () => {
    const { caller, callee } = await rpcPair(callerSer, calleeSer)
    const full = await invocationFor(caller, callee, [['x']])
    callee.send([8, 68, full.invocation[1], {}, 'com.example.error.custom', ARGS, KWARGS])
    expect(await caller.callReply(full.request)).toEqual([8, 48, full.request, {}, 'com.example.error.custom', ARGS, KWARGS])

    const bare = await invocationFor(caller, callee, [])
    expect(bare.invocation).toHaveLength(4)
    callee.send([8, 68, bare.invocation[1], {}, 'com.example.error.bare', [], {}])
    expect(await caller.callReply(bare.request)).toEqual([8, 48, bare.request, {}, 'com.example.error.bare'])
  })
})

describe.each(PAIRS)('event payloads from %s to %s', (pubSer, subSer) => {
  it('events carry args and kwargs untouched and omit empty ones', async () => {
    const router = await startRouter()
    const sub = await RawPeer.joined(router.url, subSer)
    const s = sub.nextRequest()
    sub.send([32, s, {}, 'com.example.topic'])
    const subscription = (await sub.nextOf(33, s))[2]
    const pub = await RawPeer.joined(router.url, pubSer)
    pub.send([16, pub.nextRequest(), {}, 'com.example.topic', ARGS, KWARGS])
    pub.send([16, pub.nextRequest(), {}, 'com.example.topic', [], {}])
    pub.send([16, pub.nextRequest(), {}, 'com.example.topic'])
    pub.send([16, pub.nextRequest(), {}, 'com.example.topic', [], { only: 'kw' }])
    const events: Message[] = []
    for (let i = 0; i < 4; i++) events.push(await sub.nextOf(36))
    expect(events.map((e) => e[1])).toEqual([subscription, subscription, subscription, subscription])
    expect(events.map((e) => e.slice(3))).toEqual([[{}, ARGS, KWARGS], [{}], [{}], [{}, [], { only: 'kw' }]])
  })
})

describe('integers on the CBOR wire', () => {
  it('ids and integers beyond 32 bits are CBOR integers, not floats (strict peers reject a float ID)', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url, 'json')
    await callee.register('com.example.big')
    callee.serve((inv) => [70, inv[1], {}, [2 ** 40]])
    const peer = await RawPeer.open(router.url, 'cbor')
    const welcome = await peer.hello()
    const welcomeFrame = peer.frames[peer.frames.length - 1]!
    // [WELCOME, Session, ...]: 0x83 0x02, then the id; 0x1b = unsigned 64-bit integer, 0xfb would be a float64.
    expect([welcomeFrame[0], welcomeFrame[1]]).toEqual([0x83, 0x02])
    expect(welcome[0]).toBe(2)
    expect(welcomeFrame[2]).not.toBe(0xfb)
    peer.send([48, 1, {}, 'com.example.big'])
    expect(await peer.callReply(1)).toEqual([50, 1, {}, [2 ** 40]])
    const resultFrame = peer.frames[peer.frames.length - 1]!
    expect([...resultFrame]).toEqual([0x84, 0x18, 0x32, 0x01, 0xa0, 0x81, 0x1b, 0, 0, 0x01, 0, 0, 0, 0, 0])
  })
})
