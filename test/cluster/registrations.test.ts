import { describe, expect, it } from 'vitest'
import { registrationKey } from '../../src/router/cluster/keys.js'
import type { RegistrationRecord } from '../../src/router/cluster/records.js'
import { pack, unpack } from '../../src/router/cluster/wire.js'
import { RegistrationMeta } from '../../src/protocol/meta-uris.js'
import { eventually, TestCluster, withRealmBucket } from '../support/cluster.js'
import { failureOf, openPeer, type ClientKind, type Peer } from '../support/peers.js'
import type { SerializerName } from '../support/clients.js'

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
    await withRealmBucket(cluster.nats.url, async (kv) => {
      const key = registrationKey(URI, 'exact')
      const entry = (await kv.get(key))!
      const rec = unpack<RegistrationRecord>(entry.value)
      await kv.update(key, pack({ ...rec, callees: rec.callees.filter((c) => c.node !== 'b') }), entry.revision)
    })
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
    await withRealmBucket(cluster.nats.url, async (kv) => {
      const key = registrationKey(URI, 'exact')
      await kv.delete(key, { previousSeq: (await kv.get(key))!.revision })
    })
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
})
