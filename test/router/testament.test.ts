import type autobahn from 'autobahn'
import { describe, expect, it } from 'vitest'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { adminSession, authRealm } from '../support/admin.js'
import { failureOf } from '../support/peers.js'
import { RawPeer, type Message } from '../support/raw-peer.js'
import { RawSocketPeer } from '../support/rawsocket-peer.js'
import { startRouter } from '../support/router.js'

/**
 * Testaments (WAMP spec, "Testament"): events a session leaves with the router, published once
 * when it is gone, however it goes (killed, transport lost, GOODBYE), detached-scope ones first,
 * each with its publish options; flushed ones are not published. A watcher subscribes to the
 * topic and to wamp.session.on_leave: the router publishes the testaments before on_leave, so
 * once on_leave arrives everything the session left behind has arrived too.
 */

const TOPIC = 'com.example.lastwords'

async function subscribe(peer: RawPeer, topic: string): Promise<number> {
  const r = peer.nextRequest()
  peer.send([32, r, {}, topic])
  const reply = await peer.next((m) => (m[0] === 33 || m[0] === 8) && m[m[0] === 8 ? 2 : 1] === r, 'SUBSCRIBED')
  if (reply[0] !== 33) throw new Error(`subscribe failed: ${JSON.stringify(reply)}`)
  return reply[2] as number
}

async function watcher(url: string, details: Record<string, unknown> = {}) {
  const peer = await RawPeer.joined(url, 'json', details)
  const sub = await subscribe(peer, TOPIC)
  const leave = await subscribe(peer, 'wamp.session.on_leave')
  /** The testament events received up to `sessionId`'s on_leave. */
  const lastWords = async (sessionId: number): Promise<Message[]> => {
    await peer.next((m) => m[0] === 36 && m[1] === leave && (m[4] as unknown[])[0] === sessionId, `on_leave of ${sessionId}`)
    return peer.received.filter((m) => m[0] === 36 && m[1] === sub)
  }
  return { peer, lastWords }
}

function addTestament(s: autobahn.Session, args: unknown[], kwargs: Record<string, unknown>, options: Record<string, unknown> = {}) {
  return s.call('wamp.session.add_testament', [TOPIC, args, kwargs], options)
}

describe('testaments', () => {
  it('WELCOME announces testament_meta_api for the dealer', async () => {
    const router = await startRouter()
    const peer = await RawPeer.open(router.url)
    const welcome = await peer.hello()
    expect((welcome[2] as { roles: { dealer: { features: Record<string, unknown> } } }).roles.dealer.features.testament_meta_api).toBe(true)
  })

  it.each(SERIALIZERS)('over %s: an autobahn session killed by an admin leaves its testament to a subscriber, once', async (ser) => {
    const router = await startRouter({ realms: [authRealm()] })
    const w = await watcher(router.url)
    const s = await autobahnSession(router.url, ser)
    expect(await addTestament(s, ['gone', 1], { who: 'app1' })).toBeNull()
    const id = s.id
    await adminKill(router.url, id)
    const events = await w.lastWords(id)
    expect(events).toHaveLength(1)
    expect(events[0]!.slice(3)).toEqual([{}, ['gone', 1], { who: 'app1' }])
  })

  it('a lost transport (autobahn socket closed without GOODBYE; a TCP drop) publishes the testament', async () => {
    const router = await startRouter({ rawsocket: ['127.0.0.1:0'] })
    const w = await watcher(router.url)
    const s = await autobahnSession(router.url, 'msgpack')
    await addTestament(s, ['ws lost'], {})
    // autobahn's transport object: closing it drops the WebSocket with no WAMP GOODBYE.
    ;(s as unknown as { _socket: { close(code: number, reason: string): void } })._socket.close(1000, 'gone')
    expect((await w.lastWords(s.id)).map((m) => m[4])).toEqual([['ws lost']])

    const raw = await RawSocketPeer.joined(router.rawsocketUrls[0]!, 'cbor')
    const r = raw.nextRequest()
    raw.send([48, r, {}, 'wamp.session.add_testament', [TOPIC, ['rs lost'], {}]])
    expect((await raw.next((m) => m[0] === 50 && m[1] === r, 'RESULT'))[0]).toBe(50)
    raw.destroy()
    expect((await w.lastWords(raw.sessionId)).map((m) => m[4])).toEqual([['ws lost'], ['rs lost']])
  })

  it('a clean GOODBYE publishes it too; detached before destroyed, each in the order added', async () => {
    const router = await startRouter()
    const w = await watcher(router.url)
    const s = await autobahnSession(router.url)
    await addTestament(s, ['destroyed 1'], {})
    await addTestament(s, ['detached 1'], {}, { scope: 'detached' })
    await addTestament(s, ['destroyed 2'], {}, { scope: 'destroyed' })
    await addTestament(s, ['detached 2'], {}, { scope: 'detached' })
    const id = s.id
    s.leave('wamp.close.normal', 'bye')
    expect((await w.lastWords(id)).map((m) => m[4])).toEqual([['detached 1'], ['detached 2'], ['destroyed 1'], ['destroyed 2']])
  })

  it('flush_testaments removes one scope (destroyed by default); the flushed ones are never published', async () => {
    const router = await startRouter()
    const w = await watcher(router.url)
    const s = await autobahnSession(router.url)
    await addTestament(s, ['flushed'], {})
    await addTestament(s, ['kept'], {}, { scope: 'detached' })
    expect(await s.call('wamp.session.flush_testaments', [])).toBeNull()
    await addTestament(s, ['added after the flush'], {})
    await addTestament(s, ['flushed too'], {}, { scope: 'detached' })
    await s.call('wamp.session.flush_testaments', [], { scope: 'detached' })
    const id = s.id
    s.leave('wamp.close.normal', '')
    expect((await w.lastWords(id)).map((m) => m[4])).toEqual([['added after the flush']])
  })

  it('honours publish_options: disclose_me, exclude_authrole, eligible_authid', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const anon = await watcher(router.url)
    const named = await watcher(router.url, { authid: 'named-watcher' })
    const s = await autobahnSession(router.url)
    await addTestament(s, ['to everyone, disclosed'], {}, { publish_options: { disclose_me: true } })
    await addTestament(s, ['only to named-watcher'], {}, { publish_options: { eligible_authid: ['named-watcher'] } })
    await addTestament(s, ['to no anonymous'], {}, { publish_options: { exclude_authrole: ['anonymous'] } })
    const id = s.id
    await adminKill(router.url, id)
    const toAnon = await anon.lastWords(id)
    const toNamed = await named.lastWords(id)
    expect(toAnon.map((m) => m[4])).toEqual([['to everyone, disclosed']])
    expect(toAnon[0]![3]).toEqual({ publisher: id, publisher_authid: expect.any(String), publisher_authrole: 'anonymous' })
    expect(toNamed.map((m) => m[4])).toEqual([['to everyone, disclosed'], ['only to named-watcher']])
  })

  it('refuses a bad scope, a reserved or invalid topic, and a topic the role may not publish to', async () => {
    const realm = {
      name: 'realm1',
      roles: {
        anonymous: {
          permissions: [
            { uri: 'com.example.', match: 'prefix' as const, allow: ['call' as const, 'publish' as const] },
            { uri: 'wamp.session.', match: 'prefix' as const, allow: ['call' as const] },
          ],
        },
      },
    }
    const router = await startRouter({ realms: [realm] })
    const s = await autobahnSession(router.url)
    expect((await failureOf(Promise.resolve(addTestament(s, [], {}, { scope: 'forever' })))).uri).toBe('wamp.error.invalid_argument')
    expect((await failureOf(Promise.resolve(s.call('wamp.session.flush_testaments', [], { scope: 1 })))).uri).toBe(
      'wamp.error.invalid_argument',
    )
    expect((await failureOf(Promise.resolve(s.call('wamp.session.add_testament', ['wamp.session.on_leave', [], {}])))).uri).toBe(
      'wamp.error.invalid_uri',
    )
    expect((await failureOf(Promise.resolve(s.call('wamp.session.add_testament', ['com..bad', [], {}])))).uri).toBe(
      'wamp.error.invalid_uri',
    )
    expect((await failureOf(Promise.resolve(s.call('wamp.session.add_testament', ['org.other.topic', [], {}])))).uri).toBe(
      'wamp.error.not_authorized',
    )
    expect((await failureOf(Promise.resolve(s.call('wamp.session.add_testament', [TOPIC, 'not a list', {}])))).uri).toBe(
      'wamp.error.invalid_argument',
    )
    expect((await failureOf(Promise.resolve(addTestament(s, [], {}, { publish_options: [] })))).uri).toBe('wamp.error.invalid_argument')
    expect(await addTestament(s, [], {})).toBeNull()
  })
})

async function adminKill(url: string, id: number): Promise<void> {
  const admin = await adminSession(url)
  await admin.call('wamp.session.kill', [id])
}
