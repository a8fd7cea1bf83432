import { describe, expect, it } from 'vitest'
import { routerWithBystanders } from '../support/bystanders.js'
import { SERIALIZERS, type SerializerName } from '../support/clients.js'
import { encodeFor, RawPeer, type Message } from '../support/raw-peer.js'

/**
 * Malformed frames, unknown or misplaced messages and wrong field types: the offending session
 * gets ABORT wamp.error.protocol_violation with a message saying what was wrong and its transport
 * is closed; every other session keeps working with its registrations intact.
 */

/** Bytes each serializer cannot decode (JSON: cut short; msgpack and CBOR: an array of 3 with 1 element). */
const UNDECODABLE: Record<SerializerName, Buffer | string> = {
  json: '[48, 1, {}, "com.example.x"',
  msgpack: Buffer.from([0x93, 0x01]),
  cbor: Buffer.from([0x83, 0x01]),
}

/** Expect the peer's last word to be ABORT protocol_violation whose message matches `why`, then a closed transport. */
async function expectProtocolViolation(peer: RawPeer, why: RegExp): Promise<void> {
  const abort = await peer.nextOf(3)
  expect(abort).toEqual([3, { message: expect.stringMatching(why) }, 'wamp.error.protocol_violation'])
  const { code } = await peer.closed
  expect(code).toBe(1002)
}

/** A raw peer that is in the realm (established) or has only connected (before HELLO). */
async function offender(url: string, ser: SerializerName, established: boolean): Promise<RawPeer> {
  return established ? RawPeer.joined(url, ser) : RawPeer.open(url, ser)
}

describe.each(SERIALIZERS)('bad frames over %s', (ser) => {
  it.each([true, false])('an undecodable frame (established: %s) aborts only that session', async (established) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const peer = await offender(router.url, ser, established)
    peer.sendFrame(UNDECODABLE[ser])
    await expectProtocolViolation(peer, new RegExp(`could not decode a wamp\\.2\\.${ser} frame`))
    await stillServing()
  })

  const malformed: Array<[string, unknown, RegExp]> = [
    ['a frame that is not a list (dict)', { type: 48 }, /must be a list/],
    ['a frame that is not a list (number)', 48, /must be a list/],
    ['an empty list', [], /empty message/],
    ['an unknown message code', [99, 1, {}], /#99 is not a message a client may send/],
    ['a message only routers send', [2, 1, {}], /WELCOME is not a message a client may send/],
    ['a message code that is not a number', ['CALL', 1, {}, 'com.example.x'], /message type must be an integer/],
  ]
  it.each(malformed)('%s aborts only that session', async (_what, frame, why) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const peer = await RawPeer.joined(router.url, ser)
    peer.send(frame as Message)
    await expectProtocolViolation(peer, why)
    await stillServing()
  })

  const wrongTypes: Array<[string, Message, RegExp]> = [
    ['CALL with a string request id', [48, 'one', {}, 'com.example.alive'], /CALL: Request must be an integer id/],
    ['CALL with a negative request id', [48, -1, {}, 'com.example.alive'], /CALL: Request must be an integer id/],
    ['CALL with a list for Options', [48, 1, [], 'com.example.alive'], /CALL: Options must be a dict/],
    ['CALL with a number for Procedure', [48, 1, {}, 42], /CALL: Procedure must be a string/],
    ['CALL with a dict for Arguments', [48, 1, {}, 'com.example.alive', { a: 1 }], /CALL: Arguments must be a list/],
    ['CALL with a list for ArgumentsKw', [48, 1, {}, 'com.example.alive', [], [1]], /CALL: ArgumentsKw must be a dict/],
    ['CALL with too many elements', [48, 1, {}, 'com.example.alive', [], {}, 'extra'], /CALL: too many elements/],
    ['REGISTER missing its procedure', [64, 1, {}], /REGISTER: expected 4 elements/],
    ['PUBLISH with a null topic', [16, 1, {}, null], /PUBLISH: Topic must be a string/],
    ['SUBSCRIBE with a string for Options', [32, 1, 'exact', 'com.example.t'], /SUBSCRIBE: Options must be a dict/],
    ['UNREGISTER with a float id', [66, 1, 1.5], /UNREGISTER: Registration must be an integer id/],
    ['YIELD with a string request', [70, 'x', {}], /YIELD: Request must be an integer id/],
    ['ERROR for a CALL sent by a client', [8, 48, 1, {}, 'com.example.error'], /ERROR for CALL/],
    ['HELLO a second time', [1, 'realm1', { roles: { caller: {} } }], /HELLO is not allowed once the session is established/],
  ]
  it.each(wrongTypes)('%s aborts only that session', async (_what, frame, why) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const peer = await RawPeer.joined(router.url, ser)
    peer.send(frame)
    await expectProtocolViolation(peer, why)
    await stillServing()
  })
})

describe('messages out of order', () => {
  it.each(SERIALIZERS)('over %s: CALL before HELLO is aborted as a protocol violation', async (ser) => {
    const { router, stillServing } = await routerWithBystanders(ser)
    const peer = await RawPeer.open(router.url, ser)
    peer.send([48, 1, {}, 'com.example.alive'])
    await expectProtocolViolation(peer, /CALL before HELLO/)
    await stillServing()
  })

  it('AUTHENTICATE without a CHALLENGE, and a HELLO without roles, are aborted', async () => {
    const { router, stillServing } = await routerWithBystanders()
    const a = await RawPeer.open(router.url)
    a.send([5, 'signature', {}])
    await expectProtocolViolation(a, /AUTHENTICATE before HELLO/)
    const b = await RawPeer.open(router.url)
    b.send([1, 'realm1', { roles: {} }])
    await expectProtocolViolation(b, /roles must announce at least one role/)
    await stillServing()
  })

  it('a YIELD or ERROR for an unknown invocation is dropped and the session is kept', async () => {
    const { router, stillServing } = await routerWithBystanders('msgpack')
    const peer = await RawPeer.joined(router.url, 'msgpack')
    peer.send([70, 424242, {}, ['stray']])
    peer.send([8, 68, 424243, {}, 'com.example.error'])
    const reply = await peer.call('wamp.session.count')
    expect(reply).toEqual([50, reply[1], {}, [3]])
    await stillServing()
  })

  it('a CALL reusing a request id still in flight is a protocol violation', async () => {
    const { router, stillServing } = await routerWithBystanders('cbor')
    const callee = await RawPeer.joined(router.url, 'cbor')
    await callee.register('com.example.hold')
    const peer = await RawPeer.joined(router.url, 'cbor')
    peer.send([48, 7, {}, 'com.example.hold'])
    await callee.nextOf(68)
    peer.send([48, 7, {}, 'com.example.hold'])
    await expectProtocolViolation(peer, /request 7 is already in flight/)
    await stillServing()
  })

  it('GOODBYE is answered with GOODBYE wamp.close.goodbye_and_out', async () => {
    const { router, stillServing } = await routerWithBystanders()
    const peer = await RawPeer.joined(router.url)
    peer.send([6, { message: 'bye' }, 'wamp.close.close_realm'])
    expect(await peer.nextOf(6)).toEqual([6, {}, 'wamp.close.goodbye_and_out'])
    await stillServing()
  })

  it('a frame cut in half inside a valid-looking message is still only that session’s problem', async () => {
    const { router, stillServing } = await routerWithBystanders('msgpack')
    const peer = await RawPeer.joined(router.url, 'msgpack')
    const whole = encodeFor('msgpack', [48, 1, {}, 'com.example.alive', ['x'.repeat(64)]]) as Buffer
    peer.sendFrame(whole.subarray(0, whole.length - 10))
    await expectProtocolViolation(peer, /could not decode/)
    await stillServing()
  })

  it('a JSON text frame that is not valid UTF-8 closes that transport (1007) and nothing else', async () => {
    const { router, stillServing } = await routerWithBystanders()
    const peer = await RawPeer.joined(router.url)
    peer.sendFrame(Buffer.from([0x5b, 0x34, 0x38, 0x2c, 0xff, 0xfe, 0x5d]), false)
    expect((await peer.closed).code).toBe(1007)
    await stillServing()
  })
})
