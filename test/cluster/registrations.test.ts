import { describe, expect, it } from 'vitest'
import { registrationKey, sessionKey, subscriptionKey } from '../../src/router/cluster/keys.js'
import type { CalleeRecord, RegistrationRecord, SessionRecord, SubscriptionRecord } from '../../src/router/cluster/records.js'
import { pack } from '../../src/router/cluster/wire.js'
import { RegistrationMeta, SessionMeta, SubscriptionMeta } from '../../src/protocol/meta-uris.js'
import { calleesSeen, changeRecord, entriesOf, eventually, TestCluster, withRealmBucket } from '../support/cluster.js'
import { failureOf, openPeer, type ClientKind, type Peer } from '../support/peers.js'
import type { SerializerName } from '../support/clients.js'
import { RawPeer } from '../support/raw-peer.js'

/**
 * Registrations across a cluster of three nodes (real nats-server, real node processes): one
 * registration per (URI, match) with one id, callees in cluster-wide order seen the same from
 * every node, the conflict rules under concurrent REGISTERs on different nodes, meta events once
 * per node in order, departures and restarts leaving nothing stale.
 */

const NODES = ['a', 'b', 'c'] as const
/** Clients and serializers, spread over the nodes. */
const MIX: Array<[ClientKind, SerializerName]> = [
  ['autobahn', 'json'],
  ['wampy', 'msgpack'],
  ['wampy', 'cbor'],
  ['autobahn', 'msgpack'],
  ['wampy', 'json'],
  ['autobahn', 'cbor'],
]

const noop = (): undefined => undefined

describe('cluster registrations', () => {
  const cluster = TestCluster.forFile([...NODES])

  /** An admin session on each node (anonymous is admin on test nodes). */
  async function admins(): Promise<Record<string, Peer>> {
    const out: Record<string, Peer> = {}
    for (const n of NODES) out[n] = await openPeer('autobahn', cluster.url(n))
    return out
  }

  async function meta(p: Peer, uri: string, args: unknown[] = []): Promise<unknown> {
    return (await p.call(uri, args)).args[0]
  }

  it('REGISTERs on three nodes make one registration with one id, its callees in the same order from every node', async () => {
    const URI = 'com.example.cluster.shared'
    const callees: Peer[] = []
    const ids: number[] = []
    for (let i = 0; i < NODES.length; i++) {
      const [kind, ser] = MIX[i]!
      const p = await openPeer(kind, cluster.url(NODES[i]!), ser)
      ids.push(await p.register(URI, noop, { invoke: 'roundrobin' }))
      callees.push(p)
    }
    expect(new Set(ids).size).toBe(1)
    const id = ids[0]!
    const order = callees.map((p) => p.id)
    const views = await admins()
    for (const n of NODES) {
      const admin = views[n]!
      await eventually(async () => expect(await meta(admin, RegistrationMeta.listCallees, [id])).toEqual(order))
      expect(await meta(admin, RegistrationMeta.countCallees, [id])).toBe(3)
      expect(await meta(admin, RegistrationMeta.lookup, [URI])).toBe(id)
      expect(await meta(admin, RegistrationMeta.match, [URI])).toBe(id)
      expect(await meta(admin, RegistrationMeta.get, [id])).toMatchObject({ id, uri: URI, match: 'exact', invoke: 'roundrobin' })
      expect((await meta(admin, RegistrationMeta.list)) as { exact: number[] }).toMatchObject({ exact: expect.arrayContaining([id]) })
    }
    // Same creation time everywhere: the registry's, not each node's.
    const created = new Set<unknown>()
    for (const n of NODES) created.add(((await meta(views[n]!, RegistrationMeta.get, [id])) as { created: string }).created)
    expect(created.size).toBe(1)
  })

  it('concurrent REGISTERs with mixed policies on every node: one policy wins, never two singles, the same outcome on all nodes', async () => {
    for (let round = 0; round < 3; round++) {
      const URI = `com.example.cluster.race${round}`
      const policies = ['single', 'roundrobin', 'first', 'single', 'roundrobin', 'random', 'single', 'last', 'roundrobin'] as const
      const peers: Peer[] = []
      for (let i = 0; i < policies.length; i++) {
        const [kind, ser] = MIX[i % MIX.length]!
        peers.push(await openPeer(kind, cluster.url(NODES[i % NODES.length]!), ser))
      }
      const outcomes = await Promise.allSettled(
        peers.map((p, i) => p.register(URI, noop, { invoke: policies[(i + round) % policies.length] })),
      )
      const winners = outcomes.flatMap((o, i) =>
        o.status === 'fulfilled' ? [{ peer: peers[i]!, id: o.value, invoke: policies[(i + round) % policies.length] }] : [],
      )
      expect(winners.length).toBeGreaterThan(0)
      const id = winners[0]!.id
      const invoke = winners[0]!.invoke
      expect(new Set(winners.map((w) => w.id))).toEqual(new Set([id]))
      expect(new Set(winners.map((w) => w.invoke))).toEqual(new Set([invoke]))
      if (invoke === 'single') expect(winners).toHaveLength(1)
      for (const [i, o] of outcomes.entries()) {
        if (o.status === 'fulfilled') continue
        const failure = await failureOf(Promise.reject(o.reason))
        expect([i, failure.uri]).toEqual([i, 'wamp.error.procedure_already_exists'])
        expect(failure.kwargs).toMatchObject({ registration: id, match: 'exact', invoke })
      }
      // Every node: that registration, those callees, in one order (the registry's).
      const views = await admins()
      const seen: unknown[] = []
      for (const n of NODES) {
        await eventually(async () => {
          const callees = (await meta(views[n]!, RegistrationMeta.listCallees, [id])) as number[]
          expect(new Set(callees)).toEqual(new Set(winners.map((w) => w.peer.id)))
          expect(callees).toHaveLength(winners.length)
        })
        expect(await meta(views[n]!, RegistrationMeta.get, [id])).toMatchObject({ id, uri: URI, invoke })
        seen.push(await meta(views[n]!, RegistrationMeta.listCallees, [id]))
      }
      expect(seen[1]).toEqual(seen[0])
      expect(seen[2]).toEqual(seen[0])
    }
  })

  it('meta events reach subscribers on every node once each, in order; a departure removes the callee everywhere', async () => {
    const URI = 'com.example.cluster.meta'
    const topics = [RegistrationMeta.onCreate, RegistrationMeta.onRegister, RegistrationMeta.onUnregister, RegistrationMeta.onDelete]
    /** Every registration meta event each node's subscriber got: [topic, session, registration id, uri (on_create)]. */
    const got: Record<string, Array<[string, number, number, string | undefined]>> = {}
    for (const n of NODES) {
      const events: Array<[string, number, number, string | undefined]> = (got[n] = [])
      const w = await openPeer(n === 'b' ? 'wampy' : 'autobahn', cluster.url(n), n === 'c' ? 'cbor' : 'json')
      for (const t of topics) {
        await w.subscribe(t, (e) => {
          const [session, second] = e.args as [number, { id: number; uri: string } | number]
          events.push(typeof second === 'object' ? [t, session, second.id, second.uri] : [t, session, second, undefined])
        })
      }
    }
    const seen = (n: string, id: number): Array<[string, number, number]> =>
      got[n]!.filter((e) => e[2] === id).map(([t, session, reg]) => [t, session, reg])
    const first = await openPeer('wampy', cluster.url('b'), 'msgpack')
    const second = await openPeer('autobahn', cluster.url('c'), 'cbor')
    const id = await first.register(URI, noop, { invoke: 'first' })
    expect(await second.register(URI, noop, { invoke: 'first' })).toBe(id)
    await first.unregister(URI)
    await second.leave()
    const expected: Array<[string, number, number]> = [
      [RegistrationMeta.onCreate, first.id, id],
      [RegistrationMeta.onRegister, first.id, id],
      [RegistrationMeta.onRegister, second.id, id],
      [RegistrationMeta.onUnregister, first.id, id],
      [RegistrationMeta.onUnregister, second.id, id],
      [RegistrationMeta.onDelete, second.id, id],
    ]
    for (const n of NODES) await eventually(() => expect(seen(n, id)).toEqual(expected))
    for (const n of NODES) expect(got[n]!.find((e) => e[0] === RegistrationMeta.onCreate && e[2] === id)?.[3]).toBe(URI)
    // The registration is gone on every node (the departure removed its last callee everywhere).
    const views = await admins()
    for (const n of NODES) {
      expect(await meta(views[n]!, RegistrationMeta.lookup, [URI])).toBeNull()
      expect((await failureOf(views[n]!.call(RegistrationMeta.get, [id]))).uri).toBe('wamp.error.no_such_registration')
    }
    // Once each: nothing more came after the last event.
    for (const n of NODES) expect(seen(n, id)).toHaveLength(expected.length)
  })

  it('remove_callee from another node revokes the callee on its own node and removes it everywhere', async () => {
    const URI = 'com.example.cluster.evict'
    const keep = await openPeer('autobahn', cluster.url('a'), 'json')
    const evicted = await openPeer('wampy', cluster.url('b'), 'cbor')
    const id = await keep.register(URI, noop, { invoke: 'roundrobin' })
    await evicted.register(URI, noop, { invoke: 'roundrobin' })
    const views = await admins()
    await eventually(async () => expect(await meta(views.c!, RegistrationMeta.listCallees, [id])).toEqual([keep.id, evicted.id]))
    await views.c!.call(RegistrationMeta.removeCallee, [id, evicted.id])
    for (const n of NODES)
      await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.listCallees, [id])).toEqual([keep.id]))
    expect((await failureOf(views.a!.call(RegistrationMeta.removeCallee, [id, evicted.id]))).uri).toBe('wamp.error.no_such_session')
  })

  it('roundrobin from every node is fair over the callees of all nodes, and stays fair when one leaves', async () => {
    const URI = 'com.example.cluster.fair'
    const served = new Map<number, number>()
    const callees: Peer[] = []
    for (let i = 0; i < NODES.length; i++) {
      const [kind, ser] = MIX[i + 3]!
      const p = await openPeer(kind, cluster.url(NODES[i]!), ser)
      await p.register(
        URI,
        () => {
          served.set(p.id, (served.get(p.id) ?? 0) + 1)
          return { args: [p.id] }
        },
        { invoke: 'roundrobin' },
      )
      callees.push(p)
    }
    const callers: Peer[] = []
    for (const n of NODES) callers.push(await openPeer('autobahn', cluster.url(n), 'msgpack'))
    const views = await admins()
    const id = (await meta(views.a!, RegistrationMeta.lookup, [URI])) as number
    for (const n of NODES) await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.countCallees, [id])).toBe(3))
    // Each node keeps its own pointer over all three callees: 3 rounds from each node reach each callee 3 times.
    for (const caller of callers) for (let i = 0; i < 9; i++) await caller.call(URI)
    expect(Object.fromEntries(served)).toEqual(Object.fromEntries(callees.map((p) => [p.id, 9])))
    // The callee of node b leaves: every node goes round the other two, none skipped or doubled.
    await callees[1]!.leave()
    for (const n of NODES) await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.countCallees, [id])).toBe(2))
    served.clear()
    for (const caller of callers) for (let i = 0; i < 8; i++) await caller.call(URI)
    expect(Object.fromEntries(served)).toEqual({ [callees[0]!.id]: 12, [callees[2]!.id]: 12 })
  })

  it("a live session's callee removed from the registry behind its node's back (as if the node were dead) is registered again", async () => {
    const URI = 'com.example.cluster.reassert'
    const other = await openPeer('autobahn', cluster.url('a'), 'json')
    const id = await other.register(URI, noop, { invoke: 'roundrobin' })
    const alive = await openPeer('wampy', cluster.url('b'), 'msgpack')
    await alive.register(URI, noop, { invoke: 'roundrobin' })
    const views = await admins()
    await eventually(async () => expect(await meta(views.c!, RegistrationMeta.listCallees, [id])).toEqual([other.id, alive.id]))
    const events: Array<[string, number]> = []
    const watcher = await openPeer('autobahn', cluster.url('c'), 'cbor')
    for (const t of [RegistrationMeta.onRegister, RegistrationMeta.onUnregister])
      await watcher.subscribe(t, (e) => {
        const [session, reg] = e.args as [number, number]
        if (reg === id) events.push([t, session])
      })
    // What survivors do to a node they think dead: node b's callees leave the record (compare-and-set).
    await changeRecord<RegistrationRecord>(cluster.nats.url, registrationKey(URI, 'exact'), (rec) => ({
      ...rec!,
      callees: rec!.callees.filter((c) => c.node !== 'b'),
    }))
    // Node b's session still wants it: b puts it back (at the end of the order), every node sees it.
    await eventually(() =>
      expect(events).toEqual([
        [RegistrationMeta.onUnregister, alive.id],
        [RegistrationMeta.onRegister, alive.id],
      ]),
    )
    for (const n of NODES)
      await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.listCallees, [id])).toEqual([other.id, alive.id]))
  })

  it("a registration whose record is deleted behind its only callee's node is made again with the same id (the one its callee knows)", async () => {
    const URI = 'com.example.cluster.recreate'
    const alone = await openPeer('autobahn', cluster.url('b'), 'msgpack')
    let calls = 0
    const id = await alone.register(URI, () => ({ args: [++calls] }), { invoke: 'single' })
    const views = await admins()
    await eventually(async () => expect(await meta(views.a!, RegistrationMeta.lookup, [URI])).toBe(id))
    const events: Array<[string, number]> = []
    const watcher = await openPeer('wampy', cluster.url('a'), 'json')
    for (const t of [RegistrationMeta.onUnregister, RegistrationMeta.onDelete, RegistrationMeta.onRegister])
      await watcher.subscribe(t, (e) => {
        const [session, reg] = e.args as [number, number]
        if (reg === id) events.push([t, session])
      })
    await changeRecord(cluster.nats.url, registrationKey(URI, 'exact'), () => undefined)
    await eventually(() =>
      expect(events).toEqual([
        [RegistrationMeta.onUnregister, alone.id],
        [RegistrationMeta.onDelete, alone.id],
        [RegistrationMeta.onRegister, alone.id],
      ]),
    )
    for (const n of NODES) {
      await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.lookup, [URI])).toBe(id))
      expect(await meta(views[n]!, RegistrationMeta.listCallees, [id])).toEqual([alone.id])
    }
    // Its session still answers calls for it, from another node, and unregisters it by the id it knows.
    expect((await views.c!.call(URI)).args).toEqual([1])
    await alone.unregister(URI)
    for (const n of NODES) await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.lookup, [URI])).toBeNull())
  })

  it('a local callee that a record of another id left out is revoked (it would not know the new id); registered again, it serves under that id', async () => {
    const uri = 'com.sem.reregistered'
    const callee = await RawPeer.joined(cluster.url('b'), 'msgpack')
    const first = await callee.register(uri, { invoke: 'roundrobin' })
    const old = first[2] as number
    for (const n of NODES) await calleesSeen(cluster, n, uri, 1)
    // Another node's new registration of the URI (another id, a callee of a node g), made over b's.
    const ghost: CalleeRecord = {
      node: 'g',
      session: 4_000_000_000_789,
      authid: 'g',
      authrole: 'anonymous',
      state: 'active',
      weight: 1,
      concurrency: null,
    }
    const renewed = 777_004
    const record: RegistrationRecord = {
      id: renewed,
      uri,
      match: 'exact',
      invoke: 'roundrobin',
      created: new Date().toISOString(),
      callees: [ghost],
    }
    await changeRecord(cluster.nats.url, registrationKey(uri, 'exact'), () => record)
    // b cannot put its callee into it under the id the session knows: the session is told it lost it.
    expect(await callee.nextOf(67)).toEqual([67, 0, { registration: old, reason: 'wamp.error.canceled' }])
    const observer = await openPeer('autobahn', cluster.url('a'), 'cbor')
    for (const n of NODES) await calleesSeen(cluster, n, uri, 1)
    expect((await observer.call(RegistrationMeta.listCallees, [renewed])).args[0]).toEqual([ghost.session])
    // Registered again it joins that registration, and its invocations name the id it was given.
    const again = await callee.register(uri, { invoke: 'roundrobin' })
    expect(again[2]).toBe(renewed)
    await calleesSeen(cluster, 'a', uri, 2)
    callee.serve((inv) => [70, inv[1], {}, [inv[2]]])
    // Node g is unreachable: a call that goes there is rerouted to b's callee.
    for (let i = 0; i < 2; i++) expect((await observer.call(uri)).args).toEqual([renewed])
    await changeRecord(cluster.nats.url, registrationKey(uri, 'exact'), () => undefined)
  })

  it("a node's restart under the same name leaves no stale callee", async () => {
    const URI = 'com.example.cluster.restart'
    const survivor = await openPeer('autobahn', cluster.url('a'), 'msgpack')
    const id = await survivor.register(URI, noop, { invoke: 'roundrobin' })
    const doomed = await openPeer('wampy', cluster.url('c'), 'json')
    expect(await doomed.register(URI, noop, { invoke: 'roundrobin' })).toBe(id)
    const before = await admins()
    await eventually(async () => expect(await meta(before.b!, RegistrationMeta.listCallees, [id])).toEqual([survivor.id, doomed.id]))
    await cluster.node('c').kill9()
    await cluster.startNode('c')
    const views = await admins()
    for (const n of NODES)
      await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.listCallees, [id])).toEqual([survivor.id]))
    // The restarted node serves registrations again, in the same registration.
    const fresh = await openPeer('wampy', cluster.url('c'), 'msgpack')
    expect(await fresh.register(URI, noop, { invoke: 'roundrobin' })).toBe(id)
    for (const n of NODES)
      await eventually(async () => expect(await meta(views[n]!, RegistrationMeta.listCallees, [id])).toEqual([survivor.id, fresh.id]))
  }, 60_000)

  it("removes its previous life's sessions, callees and subscribers by itself before it serves", async () => {
    // Node e's previous life, as NATS would hold it had e died a moment ago: the others never heard of it.
    const ghost = 4_000_000_000_123
    const uri = 'com.sem.ghost'
    await withRealmBucket(cluster.nats.url, async (kv) => {
      const session: SessionRecord = {
        node: 'e',
        incarnation: 'e-previous-life',
        details: { session: ghost, authid: 'ghost', authrole: 'anonymous', authmethod: 'anonymous', node: 'e' },
      }
      const registration: RegistrationRecord = {
        id: 777_001,
        uri,
        match: 'exact',
        invoke: 'single',
        created: new Date().toISOString(),
        callees: [
          {
            node: 'e',
            session: ghost,
            authid: 'ghost',
            authrole: 'anonymous',
            state: 'active',
            weight: 1,
            concurrency: null,
            incarnation: 'e-previous-life',
          },
        ],
      }
      const subscription: SubscriptionRecord = {
        id: 777_002,
        uri: `${uri}.topic`,
        match: 'exact',
        created: new Date().toISOString(),
        subscribers: [{ node: 'e', session: ghost }],
      }
      await kv.put(sessionKey(ghost), pack(session))
      await kv.put(registrationKey(uri, 'exact'), pack(registration))
      await kv.put(subscriptionKey(`${uri}.topic`, 'exact'), pack(subscription))
    })
    const observer = await openPeer('wampy', cluster.url('a'), 'json')
    await eventually(async () => expect((await observer.call(SessionMeta.list)).args[0]).toContain(ghost))
    await calleesSeen(cluster, 'a', uri, 1)
    // Nobody else removes them: a dead node they never heard of is none of their business.
    expect((await entriesOf(cluster.nats.url, 'e')).sort()).toHaveLength(3)

    await cluster.startNode('e')
    // Serving already: its start removed them (not the others, who never knew this life).
    expect(await entriesOf(cluster.nats.url, 'e')).toEqual([])
    for (const n of NODES) {
      const p = await openPeer('autobahn', cluster.url(n), 'msgpack')
      await eventually(async () => {
        expect((await p.call(SessionMeta.list)).args[0]).not.toContain(ghost)
        expect((await p.call(RegistrationMeta.lookup, [uri])).args[0]).toBeNull()
        expect((await p.call(SubscriptionMeta.lookup, [`${uri}.topic`])).args[0]).toBeNull()
      })
    }
    // Its new life serves.
    const fresh = await openPeer('autobahn', cluster.url('e'), 'cbor')
    await fresh.register(uri, () => ({ args: ['e'] }), { invoke: 'single' })
    await calleesSeen(cluster, 'a', uri, 1)
    expect((await observer.call(uri)).args).toEqual(['e'])
    await cluster.node('e').terminate()
    cluster.nodes.delete('e')
  }, 60_000)
})
