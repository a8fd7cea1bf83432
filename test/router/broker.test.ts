import { describe, expect, it } from 'vitest'
import { adminSession, authRealm } from '../support/admin.js'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { waitUntil } from '../support/meta.js'
import { CLIENTS, openPeer, type Invocation, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** Broker: acknowledge, exclude_me, black/white listing, publisher disclosure, pattern subscriptions. */

const TOPIC = 'com.example.news'

/** Subscribe `peer` and collect its events. */
async function inbox(peer: Peer, topic = TOPIC, options?: Record<string, unknown>): Promise<Invocation[]> {
  const got: Invocation[] = []
  await peer.subscribe(topic, (e) => got.push(e), options)
  return got
}

/** Resolves once `events` holds `n` entries (bounded wait). */
function until(events: unknown[], n: number): Promise<void> {
  return waitUntil(() => events.length >= n, `${n} events have arrived`)
}

const PAYLOAD_ARGS = [1, 'två', { nested: [true, null, 2.5] }, [9007199254740991], '']
const PAYLOAD_KWARGS = { a: 1, b: { c: ['d'] }, ключ: 'значение', empty: {} }

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('pubsub with %s over %s', (kind, ser) => {
  it('acknowledged publish returns a publication id; the event carries args and kwargs untouched', async () => {
    const router = await startRouter()
    const sub = await openPeer(kind, router.url, ser)
    const got = await inbox(sub)
    const pub = await openPeer(kind, router.url, ser)
    const publication = await pub.publish(TOPIC, PAYLOAD_ARGS, PAYLOAD_KWARGS)
    expect(Number.isInteger(publication) && publication > 0).toBe(true)
    await until(got, 1)
    expect(got[0]!.args).toEqual(PAYLOAD_ARGS)
    expect(got[0]!.kwargs).toEqual(PAYLOAD_KWARGS)
  })

  it('a publisher does not get its own event by default (exclude_me defaults to true)', async () => {
    const router = await startRouter()
    const pub = await openPeer(kind, router.url, ser)
    const own = await inbox(pub)
    const other = await openPeer(kind, router.url, ser)
    const theirs = await inbox(other)
    await pub.publish(TOPIC, ['first'])
    await other.publish(TOPIC, ['second']) // delivered to pub after 'first' would have been
    await until(own, 1)
    expect(own.map((e) => e.args)).toEqual([['second']])
    await until(theirs, 1)
    expect(theirs.map((e) => e.args)).toEqual([['first']])
  })

  it('eligible and exclude by session id', async () => {
    const router = await startRouter()
    const [a, b, c] = [await openPeer(kind, router.url, ser), await openPeer(kind, router.url, ser), await openPeer(kind, router.url, ser)]
    const [ia, ib, ic] = [await inbox(a!), await inbox(b!), await inbox(c!)]
    const pub = await openPeer(kind, router.url, ser)
    await pub.publish(TOPIC, ['to a'], undefined, { eligible: [a!.id] })
    await pub.publish(TOPIC, ['not b'], undefined, { exclude: [b!.id] })
    await pub.publish(TOPIC, ['a or b, not a'], undefined, { eligible: [a!.id, b!.id], exclude: [a!.id] })
    await pub.publish(TOPIC, ['all'])
    await until(ic, 2)
    await until(ia, 3)
    await until(ib, 2)
    expect(ia.map((e) => e.args[0])).toEqual(['to a', 'not b', 'all'])
    expect(ib.map((e) => e.args[0])).toEqual(['a or b, not a', 'all'])
    expect(ic.map((e) => e.args[0])).toEqual(['not b', 'all'])
  })

  it('prefix and wildcard subscriptions carry the concrete topic in details; exact ones do not', async () => {
    const router = await startRouter()
    const sub = await openPeer(kind, router.url, ser)
    const exact = await inbox(sub, 'com.example.news.sport')
    const prefix = await inbox(sub, 'com.example.news', { match: 'prefix' })
    const wildcard = await inbox(sub, 'com.example..sport', { match: 'wildcard' })
    const pub = await openPeer(kind, router.url, ser)
    await pub.publish('com.example.news.sport', ['goal'])
    await pub.publish('com.example.news.weather', ['rain'])
    await until(prefix, 2)
    await until(exact, 1)
    await until(wildcard, 1)
    // autobahn fills in the subscribed topic itself; on the wire (wampy shows it raw) an exact event has none.
    expect(exact.map((e) => [e.args[0], e.details.topic])).toEqual([['goal', kind === 'autobahn' ? 'com.example.news.sport' : undefined]])
    expect(prefix.map((e) => [e.args[0], e.details.topic])).toEqual([
      ['goal', 'com.example.news.sport'],
      ['rain', 'com.example.news.weather'],
    ])
    expect(wildcard.map((e) => [e.args[0], e.details.topic])).toEqual([['goal', 'com.example.news.sport']])
  })
})

describe('pubsub options the clients express differently', () => {
  it.each(SERIALIZERS)('over %s: exclude_me false delivers the event to its publisher too (autobahn)', async (ser) => {
    const router = await startRouter()
    const pub = await openPeer('autobahn', router.url, ser)
    const own = await inbox(pub)
    await pub.publish(TOPIC, ['echo'], undefined, { exclude_me: false })
    await until(own, 1)
    expect(own[0]!.args).toEqual(['echo'])
  })

  it('eligible/exclude by authid and authrole', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const alice = await openPeer('autobahn', router.url, 'json', {
      authid: 'alice',
      authmethods: ['ticket'],
      onchallenge: () => 'alice-ticket',
    })
    const bob = await openPeer('wampy', router.url, 'cbor')
    const admin = await adminSession(router.url, 'msgpack')
    const [ia, ib] = [await inbox(alice), await inbox(bob)]
    const iadmin: unknown[] = []
    await admin.subscribe(TOPIC, (args) => iadmin.push((args as unknown[])[0]))
    const pub = await openPeer('autobahn', router.url)
    await pub.publish(TOPIC, ['alice only'], undefined, { eligible_authid: ['alice'] })
    await pub.publish(TOPIC, ['not alice'], undefined, { exclude_authid: ['alice'] })
    await pub.publish(TOPIC, ['admins'], undefined, { eligible_authrole: ['admin'] })
    await pub.publish(TOPIC, ['no admins'], undefined, { exclude_authrole: ['admin'] })
    await until(ia, 2)
    await until(ib, 2)
    await until(iadmin, 2)
    expect(ia.map((e) => e.args[0])).toEqual(['alice only', 'no admins'])
    expect(ib.map((e) => e.args[0])).toEqual(['not alice', 'no admins'])
    expect(iadmin).toEqual(['not alice', 'admins'])
  })

  it.each(CLIENTS)('publisher disclosure only when a %s publisher asks (disclose_me)', async (kind) => {
    const router = await startRouter()
    const sub = await openPeer('wampy', router.url, 'msgpack')
    const got = await inbox(sub)
    const pub = await openPeer(kind, router.url, 'cbor')
    await pub.publish(TOPIC, ['anonymous'])
    await pub.publish(TOPIC, ['signed'], undefined, { disclose_me: true })
    await until(got, 2)
    expect(got[0]!.details).toEqual({})
    expect(got[1]!.details).toEqual({ publisher: pub.id, publisher_authid: `anonymous-${pub.id}`, publisher_authrole: 'anonymous' })
  })

  it('an unacknowledged publish gets no PUBLISHED; subscribing twice yields the same subscription and one event', async () => {
    const router = await startRouter()
    const pub = await RawPeer.joined(router.url, 'msgpack')
    const sub = await RawPeer.joined(router.url, 'cbor')
    const s1 = sub.nextRequest()
    const s2 = sub.nextRequest()
    sub.send([32, s1, {}, TOPIC])
    sub.send([32, s2, {}, TOPIC])
    const [a, b] = [await sub.nextOf(33, s1), await sub.nextOf(33, s2)]
    expect(a[2]).toBe(b[2])
    pub.send([16, pub.nextRequest(), {}, TOPIC, ['quiet']])
    const ack = pub.nextRequest()
    pub.send([16, ack, { acknowledge: true }, TOPIC, ['loud']])
    const published = await pub.nextOf(17)
    expect(published).toEqual([17, ack, expect.any(Number)])
    await sub.next((m) => m[0] === 36 && (m[4] as unknown[])[0] === 'loud')
    expect(sub.received.filter((m) => m[0] === 36).map((m) => (m[4] as unknown[])[0])).toEqual(['quiet', 'loud'])
    expect(pub.received.filter((m) => m[0] === 17)).toHaveLength(1)
  })

  it('unsubscribe stops events; unsubscribing an unknown id is wamp.error.no_such_subscription', async () => {
    const router = await startRouter()
    const sub = await autobahnSession(router.url)
    const got: unknown[] = []
    const s = await sub.subscribe(TOPIC, (args) => got.push((args as unknown[])[0]))
    const pub = await openPeer('wampy', router.url)
    await pub.publish(TOPIC, ['one'])
    await until(got, 1)
    await sub.unsubscribe(s)
    const witness = await openPeer('autobahn', router.url)
    const seen = await inbox(witness)
    await pub.publish(TOPIC, ['two'])
    await until(seen, 1)
    expect(got).toEqual(['one'])
    const raw = await RawPeer.joined(router.url)
    const r = raw.nextRequest()
    raw.send([34, r, 12345])
    expect(await raw.nextOf(8, 34)).toEqual([8, 34, r, {}, 'wamp.error.no_such_subscription', [expect.any(String)]])
  })
})

describe('SUBSCRIBE options', () => {
  it('an unknown match policy is wamp.error.invalid_argument, as for REGISTER', async () => {
    const router = await startRouter()
    const p = await RawPeer.joined(router.url)
    p.send([32, 1, { match: 'regex' }, TOPIC])
    expect(await p.nextOf(8, 32)).toEqual([8, 32, 1, {}, 'wamp.error.invalid_argument', [expect.stringContaining('regex')]])
    expect((await p.register(TOPIC, { match: 'regex' }))[4]).toBe('wamp.error.invalid_argument')
  })
})
