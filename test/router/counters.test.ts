import { describe, expect, it } from 'vitest'
import { MessageCode } from '../../src/protocol/message-codes.js'
import { authRealm } from '../support/admin.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** The router's own counters (src/router/counters.ts): what /metrics exports, counted where it happens. */

describe('router counters', () => {
  it('count messages in and out by type, sessions, events and transport bytes', async () => {
    const router = await startRouter()
    const c = router.counters
    const callee = await RawPeer.joined(router.url, 'msgpack')
    expect((await callee.register('com.example.add'))[0]).toBe(MessageCode.REGISTERED)
    callee.serve((inv) => [MessageCode.YIELD, inv[1], {}, [1]])
    const caller = await RawPeer.joined(router.url, 'json')
    const subscriber = await RawPeer.joined(router.url, 'cbor')
    subscriber.send([MessageCode.SUBSCRIBE, subscriber.nextRequest(), {}, 'com.example.tick'])
    await subscriber.nextOf(MessageCode.SUBSCRIBED)

    for (let i = 0; i < 3; i++) expect((await caller.call('com.example.add', [i]))[0]).toBe(MessageCode.RESULT)
    caller.send([MessageCode.PUBLISH, caller.nextRequest(), { acknowledge: true }, 'com.example.tick', [1]])
    await caller.nextOf(MessageCode.PUBLISHED)
    await subscriber.nextOf(MessageCode.EVENT)

    expect(c.messagesIn[MessageCode.HELLO]).toBe(3)
    expect(c.messagesOut[MessageCode.WELCOME]).toBe(3)
    expect(c.messagesIn[MessageCode.CALL]).toBe(3)
    expect(c.messagesOut[MessageCode.INVOCATION]).toBe(3)
    expect(c.messagesIn[MessageCode.YIELD]).toBe(3)
    expect(c.messagesOut[MessageCode.RESULT]).toBe(3)
    expect(c.messagesIn[MessageCode.PUBLISH]).toBe(1)
    expect(c.messagesOut[MessageCode.EVENT]).toBe(1) // the fan-out path (sendEncoded)
    expect(c.sessionsOpened).toBe(3)
    expect(c.sessionsClosed).toBe(0)

    const live = router.transportBytes()
    expect(live.in).toBeGreaterThan(0)
    expect(live.out).toBeGreaterThan(0)
    caller.send([MessageCode.GOODBYE, {}, 'wamp.close.normal'])
    await caller.nextOf(MessageCode.GOODBYE)
    caller.ws.close()
    await caller.closed
    expect(c.sessionsClosed).toBe(1)
    // A closed transport's bytes stay counted: the totals never go down.
    await expect.poll(() => c.closedBytesIn).toBeGreaterThan(0)
    const after = router.transportBytes()
    expect(after.in).toBeGreaterThanOrEqual(live.in)
    expect(after.out).toBeGreaterThanOrEqual(live.out)
  })

  it('count protocol violations, malformed frames, slow peers and failed authentications by reason', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const c = router.counters

    const garbage = await RawPeer.open(router.url, 'json')
    garbage.sendFrame('{not json')
    await garbage.closed
    expect(c.malformedFrames).toBe(1)
    expect(c.protocolViolations).toBe(1)
    expect(c.peersDropped.get('protocol_violation')).toBe(1)

    const early = await RawPeer.open(router.url, 'json')
    early.send([MessageCode.CALL, 1, {}, 'com.example.add'])
    expect((await early.nextOf(MessageCode.ABORT))[2]).toBe('wamp.error.protocol_violation')
    expect(c.protocolViolations).toBe(2)
    expect(c.malformedFrames).toBe(1) // well-formed, just not allowed before HELLO

    const wrong = await RawPeer.open(router.url, 'json')
    expect((await wrong.hello('realm1', { authid: 'admin', authmethods: ['ticket'] }))[0]).toBe(MessageCode.CHALLENGE)
    wrong.send([MessageCode.AUTHENTICATE, 'wrong-ticket', {}])
    expect((await wrong.nextOf(MessageCode.ABORT))[2]).toBe('wamp.error.authentication_denied')
    const nobody = await RawPeer.open(router.url, 'json')
    // An unknown principal is challenged like a known one (nothing to learn), then refused.
    expect((await nobody.hello('realm1', { authid: 'nobody', authmethods: ['ticket'] }))[0]).toBe(MessageCode.CHALLENGE)
    nobody.send([MessageCode.AUTHENTICATE, 'any', {}])
    expect((await nobody.nextOf(MessageCode.ABORT))[2]).toBe('wamp.error.authentication_denied')
    expect(Object.fromEntries(c.authFailures)).toEqual({ 'wamp.error.authentication_denied': 2 })
    // A realm that does not exist is a refusal, not a failed authentication.
    const lost = await RawPeer.open(router.url, 'json')
    expect((await lost.hello('no-such-realm'))[2]).toBe('wamp.error.no_such_realm')
    expect(Object.fromEntries(c.authFailures)).toEqual({ 'wamp.error.authentication_denied': 2 })
  })

  it('count a peer dropped for reading too slowly', async () => {
    // Events alone are dropped before a subscriber is (maxEventQueueBytes): let them pass that bound here.
    const router = await startRouter({ maxBufferedBytes: 64 * 1024, maxEventQueueBytes: 1024 * 1024 })
    const slow = await RawPeer.joined(router.url, 'json')
    slow.ws.pause() // stops reading: the router's send buffer to it grows
    slow.send([MessageCode.SUBSCRIBE, slow.nextRequest(), {}, 'com.example.flood'])
    const publisher = await RawPeer.joined(router.url, 'json')
    const big = 'x'.repeat(32 * 1024)
    for (let i = 0; i < 2000 && !router.counters.peersDropped.has('too_slow'); i++) {
      publisher.send([MessageCode.PUBLISH, publisher.nextRequest(), { acknowledge: true }, 'com.example.flood', [big]])
      await publisher.nextOf(MessageCode.PUBLISHED)
    }
    expect(router.counters.peersDropped.get('too_slow')).toBe(1)
  })
})
