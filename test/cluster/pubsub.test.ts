import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { ClusterUri, type ClusterStatus } from '../../src/protocol/cluster.js'
import { ErrorUri } from '../../src/protocol/error-uris.js'
import { token } from '../../src/router/cluster/keys.js'
import { unpack } from '../../src/router/cluster/wire.js'
import { autobahnSession, type SerializerName } from '../support/clients.js'
import { eventually, TestCluster } from '../support/cluster.js'
import { failureOf, openPeer, type ClientKind, type Invocation, type Peer } from '../support/peers.js'

/**
 * Pub/sub across three nodes of one realm: a publication reaches every matching subscriber on
 * every node exactly once, with its options applied on each node; one subscription id
 * cluster-wide; the subscription meta API and its events from every node. Counts are final once a
 * marker publication, sent after the others by the same publisher, has arrived (publications of one
 * node reach another in order).
 */

const CONFIG = {
  realms: [
    {
      name: 'realm1',
      roles: { anonymous: { admin: true }, admin: { admin: true }, reader: { admin: true } },
      auth: { anonymous: { role: 'anonymous' }, ticket: { carol: { ticket: 'carol-ticket', role: 'reader' } } },
    },
  ],
}

const BYTES = Uint8Array.from([1, 2, 3, 255, 0, 128])
const AS_JSON = '\0' + Buffer.from(BYTES).toString('base64')
const WAIT_MS = 15_000

/** Events of one subscription, with a bounded wait for the next ones. */
class Inbox {
  readonly events: Invocation[] = []
  private readonly waiters: Array<{ n: number; resolve: () => void }> = []

  push(e: Invocation): void {
    this.events.push(e)
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.events.length >= this.waiters[i]!.n) this.waiters.splice(i, 1)[0]!.resolve()
    }
  }

  /** Resolves once `n` events arrived; rejects after WAIT_MS. */
  async atLeast(n: number, what = 'events'): Promise<void> {
    if (this.events.length >= n) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push({ n, resolve })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: ${this.events.length} of ${n} arrived within ${WAIT_MS} ms`)), WAIT_MS)
      }),
    ]).finally(() => clearTimeout(timer))
  }

  args(): unknown[] {
    return this.events.map((e) => e.args[0])
  }
}

async function inbox(peer: Peer, topic: string, options?: Record<string, unknown>): Promise<{ inbox: Inbox; id: number }> {
  const box = new Inbox()
  const id = await peer.subscribe(topic, (e) => box.push(e), options)
  return { inbox: box, id }
}

/** Until `observer`'s node lists `n` subscribers of (topic, match): its replica has seen them. Resolves with the subscription id. */
function seen(observer: Peer, topic: string, n: number, match = 'exact'): Promise<number> {
  return eventually(async () => {
    const id = (await observer.call('wamp.subscription.lookup', [topic, { match }])).args[0]
    if (typeof id !== 'number') throw new Error(`no subscription of ${topic} seen`)
    const count = (await observer.call('wamp.subscription.count_subscribers', [id])).args[0]
    if (count !== n) throw new Error(`${String(count)} subscribers of ${topic} seen, not ${n}`)
    return id
  }, WAIT_MS)
}

/** The node's NATS link state, as it reports it in wampctl.cluster.status. */
async function natsState(p: Peer): Promise<string> {
  return ((await p.call(ClusterUri.status)).args[0] as ClusterStatus).nats?.state ?? 'none'
}

/** `wampctl_cluster_publications_total` of realm1 on the node whose admin listener is `adminUrl`, by outcome. */
async function publicationCounts(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^wampctl_cluster_publications_total\{realm="realm1",outcome="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2])
  return out
}

describe('cluster pub/sub: publications cross nodes once, subscriptions are one per topic cluster-wide', () => {
  const cluster = TestCluster.forFile(['a', 'b', 'c'], { config: CONFIG, args: ['--admin', '127.0.0.1:0'] })
  let nats: NatsConnection

  beforeAll(async () => {
    nats = await connect({ servers: cluster.nats.url })
  })

  afterAll(async () => {
    await nats?.close()
  })

  const peer = (node: string, kind: ClientKind, ser: SerializerName, authid?: string): Promise<Peer> =>
    openPeer(kind, cluster.url(node), ser, authid === undefined ? {} : { authid })

  it('a publication reaches every matching subscriber on every node exactly once, with one publication id', async () => {
    const topic = 'com.t1.topic'
    const marker = 'com.t1.marker'
    const subscribers = await Promise.all([
      peer('a', 'autobahn', 'json'),
      peer('b', 'wampy', 'msgpack'),
      peer('c', 'autobahn', 'cbor'),
      peer('c', 'wampy', 'json'),
    ])
    const boxes = await Promise.all(subscribers.map((p) => inbox(p, topic)))
    const markers = await Promise.all(subscribers.map((p) => inbox(p, marker)))
    const publisher = await peer('a', 'autobahn', 'msgpack')
    await seen(publisher, topic, 4)
    await seen(publisher, marker, 4)

    const acked: number[] = []
    for (let i = 0; i < 10; i++) acked.push(await publisher.publish(topic, [i], { n: i }))
    // Without acknowledge too (autobahn sends no PUBLISHED request then).
    const raw = await autobahnSession(cluster.url('a'), 'json')
    await raw.publish(topic, [10])
    await publisher.publish(marker, ['done'])
    await Promise.all(markers.map((m) => m.inbox.atLeast(1, 'marker')))

    for (const { inbox: box } of boxes) {
      expect(box.args()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(box.events.slice(0, 10).map((e) => e.kwargs)).toEqual(acked.map((_, n) => ({ n })))
    }
    // The publication id (autobahn hands it to the handler; wampy does not): PUBLISHED's, on every node.
    const autobahns = boxes.filter((_, i) => subscribers[i]!.kind === 'autobahn').map((b) => b.inbox.events)
    expect(autobahns.map((events) => events.slice(0, 10).map((e) => e.details.publication))).toEqual([acked, acked])
    expect(new Set(autobahns.map((events) => events[10]!.details.publication)).size).toBe(1)
  })

  it('one subscription id cluster-wide, and the subscription meta API answers for the whole realm from every node', async () => {
    const topic = 'com.t2.topic'
    const subs = await Promise.all([peer('a', 'autobahn', 'json'), peer('b', 'wampy', 'cbor'), peer('c', 'autobahn', 'msgpack')])
    // One after the other: each joins the record the first one created.
    const ids: number[] = []
    for (const p of subs) ids.push(await p.subscribe(topic, () => {}))
    expect(new Set(ids).size).toBe(1)
    const id = ids[0]!
    for (const p of subs) {
      expect(await seen(p, topic, 3)).toBe(id)
      expect((await p.call('wamp.subscription.get', [id])).args[0]).toMatchObject({ id, uri: topic, match: 'exact' })
      expect(((await p.call('wamp.subscription.list_subscribers', [id])).args[0] as number[]).sort()).toEqual(subs.map((s) => s.id).sort())
      expect(((await p.call('wamp.subscription.list')).args[0] as { exact: number[] }).exact).toContain(id)
      expect((await p.call('wamp.subscription.match', [topic])).args[0]).toEqual([id])
    }
    // A subscriber leaves on c: every node sees it gone.
    await subs[2]!.leave()
    for (const p of subs.slice(0, 2)) expect(await seen(p, topic, 2)).toBe(id)
  })

  it('concurrent SUBSCRIBEs to a new topic on every node: one subscription, one id, every subscriber in it', async () => {
    const topic = 'com.t2b.race'
    const kinds: Array<[string, ClientKind, SerializerName]> = []
    for (const node of ['a', 'b', 'c'])
      for (const [kind, ser] of [
        ['autobahn', 'json'],
        ['wampy', 'msgpack'],
        ['autobahn', 'cbor'],
        ['wampy', 'json'],
      ] as Array<[ClientKind, SerializerName]>)
        kinds.push([node, kind, ser])
    const peers = await Promise.all(kinds.map(([node, kind, ser]) => peer(node, kind, ser)))
    const ids = await Promise.all(peers.map((p) => p.subscribe(topic, () => {})))
    expect(new Set(ids).size).toBe(1)
    for (const node of ['a', 'b', 'c']) {
      const observer = peers[kinds.findIndex(([n]) => n === node)]!
      expect(await seen(observer, topic, peers.length)).toBe(ids[0])
      const listed = (await observer.call('wamp.subscription.list_subscribers', [ids[0]])).args[0] as number[]
      expect([...listed].sort()).toEqual(peers.map((p) => p.id).sort())
    }
  })

  it('publish options apply on every node: exclude_me, eligible/exclude by session, authid and authrole, disclose_me', async () => {
    const topic = 'com.t3.topic'
    const marker = 'com.t3.marker'
    const b1 = await peer('b', 'autobahn', 'json', 'alice')
    const b2 = await peer('b', 'autobahn', 'msgpack', 'bob')
    const c1 = await openPeer('autobahn', cluster.url('c'), 'cbor', {
      authid: 'carol',
      authmethods: ['ticket'],
      onchallenge: () => 'carol-ticket',
    })
    const c2 = await peer('c', 'autobahn', 'json', 'dave')
    const pub = await peer('a', 'autobahn', 'json', 'pat')
    const all = { b1, b2, c1, c2, pub }
    const boxes = Object.fromEntries(
      await Promise.all(Object.entries(all).map(async ([k, p]) => [k, (await inbox(p, topic)).inbox] as const)),
    )
    const markers = await Promise.all(Object.values(all).map((p) => inbox(p, marker)))
    await seen(pub, topic, 5)
    await seen(pub, marker, 5)

    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['default', {}, ['b1', 'b2', 'c1', 'c2']],
      ['exclude_me false', { exclude_me: false }, ['b1', 'b2', 'c1', 'c2', 'pub']],
      ['eligible', { eligible: [b1.id, c1.id] }, ['b1', 'c1']],
      ['exclude', { exclude: [b2.id, c2.id], exclude_me: false }, ['b1', 'c1', 'pub']],
      ['eligible_authid', { eligible_authid: ['alice', 'dave'] }, ['b1', 'c2']],
      ['exclude_authid', { exclude_authid: ['alice'] }, ['b2', 'c1', 'c2']],
      ['eligible_authrole', { eligible_authrole: ['reader'] }, ['c1']],
      ['exclude_authrole', { exclude_authrole: ['reader'] }, ['b1', 'b2', 'c2']],
    ]
    for (const [label, options] of cases) await pub.publish(topic, [label], {}, options)
    await pub.publish(topic, ['disclosed'], {}, { disclose_me: true })
    await pub.publish(marker, ['done'], {}, { exclude_me: false })
    await Promise.all(markers.map((m) => m.inbox.atLeast(1, 'marker')))

    for (const [name, box] of Object.entries(boxes)) {
      const expected = cases.filter(([, , who]) => who.includes(name)).map(([label]) => label)
      if (name !== 'pub') expected.push('disclosed')
      expect({ name, got: box.args() }).toEqual({ name, got: expected })
      if (name === 'pub') continue
      const disclosed = box.events.find((e) => e.args[0] === 'disclosed')!
      expect(disclosed.details).toMatchObject({ publisher: pub.id, publisher_authid: 'pat', publisher_authrole: 'anonymous' })
      const plain = box.events.find((e) => e.args[0] !== 'disclosed')
      if (plain !== undefined) expect(plain.details.publisher).toBeUndefined()
    }
  })

  it('prefix and wildcard subscriptions on other nodes get the publication with its topic', async () => {
    const prefix = await peer('b', 'wampy', 'msgpack')
    const wildcard = await peer('c', 'autobahn', 'json')
    const p = (await inbox(prefix, 'com.t4', { match: 'prefix' })).inbox
    const w = (await inbox(wildcard, 'com.t4..x', { match: 'wildcard' })).inbox
    const marker = (await inbox(wildcard, 'com.t4.marker')).inbox
    const pub = await peer('a', 'autobahn', 'cbor')
    await seen(pub, 'com.t4', 1, 'prefix')
    await seen(pub, 'com.t4..x', 1, 'wildcard')
    await seen(pub, 'com.t4.marker', 1)
    await pub.publish('com.t4.a.x', ['ax'])
    await pub.publish('com.t4.a.y', ['ay'])
    await pub.publish('com.t4.marker', ['done'])
    await marker.atLeast(1, 'marker')
    await p.atLeast(3, 'prefix events') // com.t4.marker matches the prefix too
    expect(p.events.map((e) => [e.args[0], e.details.topic])).toEqual([
      ['ax', 'com.t4.a.x'],
      ['ay', 'com.t4.a.y'],
      ['done', 'com.t4.marker'],
    ])
    expect(w.events.map((e) => [e.args[0], e.details.topic])).toEqual([['ax', 'com.t4.a.x']])
  })

  it('binary payloads cross nodes as bytes (and as "\\0"+base64 to JSON subscribers)', async () => {
    const topic = 'com.t5.bytes'
    const msgpack = (await inbox(await peer('b', 'autobahn', 'msgpack'), topic)).inbox
    const cbor = (await inbox(await peer('c', 'autobahn', 'cbor'), topic)).inbox
    const json = (await inbox(await peer('c', 'autobahn', 'json'), topic)).inbox
    const pub = await peer('a', 'autobahn', 'msgpack')
    await seen(pub, topic, 3)
    await pub.publish(topic, [BYTES], { blob: BYTES })
    for (const box of [msgpack, cbor]) {
      await box.atLeast(1)
      expect([...(box.events[0]!.args[0] as Uint8Array)]).toEqual([...BYTES])
      expect([...(box.events[0]!.kwargs.blob as Uint8Array)]).toEqual([...BYTES])
    }
    await json.atLeast(1)
    expect(json.events[0]!.args[0]).toBe(AS_JSON)
  })

  it('a burst of publications, some of them large, reaches a subscriber on another node in order, each once', async () => {
    const count = 60
    // Every 20th carries 300 kB: the turn's publications span several NATS messages (max_payload 1 MiB).
    const payload = (i: number): unknown => (i % 20 === 0 ? Buffer.alloc(300_000, i) : i)
    const sub = await peer('b', 'autobahn', 'msgpack')
    const { inbox: box } = await inbox(sub, 'com.burst.t1')
    const pub = await peer('a', 'autobahn', 'msgpack')
    await seen(pub, 'com.burst.t1', 1)
    await Promise.all(Array.from({ length: count }, (_, i) => pub.publish('com.burst.t1', [i, payload(i)])))
    await box.atLeast(count)
    expect(box.args()).toEqual(Array.from({ length: count }, (_, i) => i))
    for (const e of box.events) {
      const [i, p] = e.args as [number, unknown]
      if (i % 20 === 0) expect(Buffer.from(p as Uint8Array).equals(Buffer.alloc(300_000, i))).toBe(true)
      else expect(p).toBe(i)
    }
  })

  it('a testament of a session on one node reaches subscribers on the others', async () => {
    const topic = 'com.t6.will'
    const heir = (await inbox(await peer('b', 'wampy', 'json'), topic)).inbox
    const observer = await peer('a', 'autobahn', 'json')
    await seen(observer, topic, 1)
    const dying = await autobahnSession(cluster.url('a'), 'json')
    const dyingId = dying.id
    await dying.call('wamp.session.add_testament', [topic, ['bye', dyingId], {}])
    await new Promise<void>((resolve) => {
      dying.onleave = () => resolve()
      dying.leave('wamp.close.normal', 'done')
    })
    await heir.atLeast(1, 'testament')
    expect(heir.events[0]!.args).toEqual(['bye', dyingId])
  })

  it('subscription meta events are derived on every node once each, in order', async () => {
    const topic = 'com.t7.topic'
    const done = 'com.t7.marker'
    const names = ['on_create', 'on_subscribe', 'on_unsubscribe', 'on_delete']
    const monitors = await Promise.all([peer('a', 'autobahn', 'json'), peer('b', 'wampy', 'msgpack'), peer('c', 'autobahn', 'cbor')])
    const logs = await Promise.all(
      monitors.map(async (m) => {
        const log: Array<[string, unknown[]]> = []
        for (const n of names) await m.subscribe(`wamp.subscription.${n}`, (e) => log.push([n, e.args]))
        return log
      }),
    )
    const first = await peer('b', 'autobahn', 'json')
    const second = await peer('c', 'wampy', 'cbor')
    const id = await first.subscribe(topic, () => {})
    expect(await second.subscribe(topic, () => {})).toBe(id)
    await seen(monitors[0]!, topic, 2)
    await second.leave()
    await first.leave()
    // A second subscription's whole life after it: once its on_delete is seen everywhere, so are the first's events.
    const marker = await peer('a', 'autobahn', 'json')
    const markerId = await marker.subscribe(done, () => {})
    await marker.leave()
    for (const log of logs) {
      await eventually(() => {
        if (!log.some(([n, args]) => n === 'on_delete' && args[1] === markerId)) throw new Error('the marker on_delete not seen')
      }, WAIT_MS)
      const ofTopic = log.filter(([, args]) => args[1] === id || (args[1] as { id?: number })?.id === id)
      expect(ofTopic).toEqual([
        ['on_create', [first.id, expect.objectContaining({ id, uri: topic, match: 'exact' })]],
        ['on_subscribe', [first.id, id]],
        ['on_subscribe', [second.id, id]],
        ['on_unsubscribe', [second.id, id]],
        ['on_unsubscribe', [first.id, id]],
        ['on_delete', [first.id, id]],
      ])
    }
  })

  it('a realm without subscribers on other nodes publishes nothing on NATS, and router meta events never go there', async () => {
    const subject = `wampctl.pub.${token('realm1')}`
    const onNats: Array<{ topic: string }> = []
    const natsBox = new Inbox()
    const natsSub = nats.subscribe(subject, {
      callback: (err, msg) => {
        if (err !== null) return
        // One NATS message carries the publications of one turn, each a frame [publication].
        for (const [p] of unpack<Array<[{ topic: string }]>>(msg.data)) onNats.push(p)
        natsBox.push({ args: [], kwargs: {}, details: {} })
      },
    })
    await nats.flush()
    try {
      // Meta events have subscribers on b: a derives its own and b its own; none crosses.
      const monitor = await peer('b', 'autobahn', 'json')
      const joined = (await inbox(monitor, 'wamp.session.on_join')).inbox
      const created = (await inbox(monitor, 'wamp.subscription.on_create')).inbox
      const local = (await inbox(await peer('a', 'autobahn', 'json'), 'com.t8.local')).inbox
      const remote = (await inbox(await peer('b', 'autobahn', 'json'), 'com.t8.remote')).inbox
      const pub = await peer('a', 'autobahn', 'msgpack')
      await seen(pub, 'com.t8.remote', 1)
      await seen(pub, 'wamp.session.on_join', 1)
      for (let i = 0; i < 20; i++) await pub.publish('com.t8.local', [i])
      await pub.publish('com.t8.remote', ['crosses'])
      await remote.atLeast(1)
      await natsBox.atLeast(1, 'publications on NATS')
      expect(local.args()).toEqual([...Array(20).keys()])
      expect(onNats.map((m) => m.topic)).toEqual(['com.t8.remote'])
      // b heard of a's sessions and subscriptions (from the KV changes, in the background), once each.
      await eventually(() => {
        expect(joined.events.filter((e) => (e.args[0] as { session: number }).session === pub.id)).toHaveLength(1)
        expect(created.events.filter((e) => (e.args[1] as { uri: string }).uri === 'com.t8.local')).toHaveLength(1)
      }, WAIT_MS)
    } finally {
      natsSub.unsubscribe()
    }
  })

  it('while NATS is away, publications reach the local subscribers only (counted, never queued) and SUBSCRIBE fails fast; then they cross again', async () => {
    const topic = 'com.t9.topic'
    const local = (await inbox(await peer('a', 'autobahn', 'json'), topic)).inbox
    const remote = (await inbox(await peer('b', 'autobahn', 'msgpack'), topic)).inbox
    const pub = await peer('a', 'autobahn', 'json')
    await seen(pub, topic, 2)
    const adminUrl = /admin listener on (http:\/\/\S+)/.exec(cluster.node('a').stdout)![1]!
    const before = await publicationCounts(adminUrl)

    await cluster.nats.stop()
    try {
      await eventually(async () => expect(await natsState(pub)).not.toBe('connected'), WAIT_MS)
      await pub.publish(topic, ['while away'])
      await local.atLeast(1)
      expect(local.args()).toEqual(['while away'])
      expect((await publicationCounts(adminUrl)).unsent).toBe((before.unsent ?? 0) + 1)
      expect((await failureOf(pub.subscribe('com.t9.other', () => {}))).uri).toBe(ErrorUri.clusterUnavailable)
    } finally {
      await cluster.nats.restart()
    }
    await eventually(async () => expect(await natsState(pub)).toBe('connected'), WAIT_MS)
    // Until b is back on NATS too, a publication may find no one there: published again until one arrives.
    await eventually(async () => {
      await pub.publish(topic, ['back'])
      expect(remote.events.length).toBeGreaterThan(0)
    }, WAIT_MS)
    expect(new Set(remote.args())).toEqual(new Set(['back']))
    expect((await publicationCounts(adminUrl)).sent).toBeGreaterThan(before.sent ?? 0)
  }, 60_000)

  it('kill_all from one node: the sessions it closes on other nodes leave their subscriptions without meta events on any node', async () => {
    const topic = 'com.t11.topic'
    const admin = await peer('b', 'autobahn', 'json')
    const log: Array<[string, unknown[]]> = []
    for (const n of ['on_unsubscribe', 'on_delete']) await admin.subscribe(`wamp.subscription.${n}`, (e) => log.push([n, e.args]))
    const victims = await Promise.all([peer('c', 'autobahn', 'json'), peer('a', 'wampy', 'msgpack')])
    let id = 0
    for (const v of victims) id = await v.subscribe(topic, () => {})
    await seen(admin, topic, 2)
    await admin.call('wamp.session.kill_all')
    await eventually(async () => {
      const found = (await admin.call('wamp.subscription.lookup', [topic])).args[0]
      expect(found).toBeNull()
    }, WAIT_MS)
    // The admin's own subscription's whole life after it: once its on_delete is here, nothing about the victims' came.
    const markerId = await admin.subscribe('com.t11.marker', () => {})
    const marker = await peer('b', 'autobahn', 'json')
    await marker.subscribe('com.t11.marker', () => {})
    await marker.leave()
    await eventually(() => expect(log.some(([n, args]) => n === 'on_unsubscribe' && args[1] === markerId)).toBe(true), WAIT_MS)
    expect(log.filter(([, args]) => args[1] === id)).toEqual([])
  })

  it('a node killed with kill -9: the others remove its subscribers once (meta events on every node), and its new life subscribes afresh', async () => {
    const topic = 'com.t10.topic'
    const monitors = await Promise.all([peer('a', 'autobahn', 'json'), peer('b', 'wampy', 'cbor')])
    const logs = await Promise.all(
      monitors.map(async (m) => {
        const log: Array<[string, unknown[]]> = []
        for (const n of ['on_unsubscribe', 'on_delete']) await m.subscribe(`wamp.subscription.${n}`, (e) => log.push([n, e.args]))
        return log
      }),
    )
    const survivor = (await inbox(await peer('a', 'autobahn', 'json'), topic)).inbox
    const doomed = await peer('c', 'autobahn', 'json')
    const id = await doomed.subscribe(topic, () => {})
    for (const m of monitors) await seen(m, topic, 2)

    await cluster.node('c').kill9()
    for (const m of monitors) expect(await seen(m, topic, 1)).toBe(id)
    // A whole subscription's life after it: once its on_delete is seen on a node, so are the earlier events.
    const marker = await peer('a', 'autobahn', 'json')
    const markerId = await marker.subscribe('com.t10.marker', () => {})
    await marker.leave()
    for (const log of logs) {
      await eventually(() => expect(log.some(([n, args]) => n === 'on_delete' && args[1] === markerId)).toBe(true), WAIT_MS)
      expect(log.filter(([, args]) => args[1] === id)).toEqual([['on_unsubscribe', [doomed.id, id]]])
    }

    await cluster.startNode('c', { config: CONFIG, args: ['--admin', '127.0.0.1:0'] })
    const reborn = await peer('c', 'wampy', 'msgpack')
    expect(await reborn.subscribe(topic, () => {})).toBe(id)
    await reborn.publish(topic, ['from the new life'])
    await survivor.atLeast(1)
    expect(survivor.args()).toEqual(['from the new life'])
  }, 60_000)
})
