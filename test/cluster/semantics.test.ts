import { describe, expect, it } from 'vitest'
import { ExtensionUri, type RouterSnapshot } from '../../src/protocol/extensions.js'
import { RegistrationMeta, SubscriptionMeta } from '../../src/protocol/meta-uris.js'
import { subscriptionKey } from '../../src/router/cluster/keys.js'
import type { SubscriptionRecord } from '../../src/router/cluster/records.js'
import { craSign } from '../support/admin.js'
import { connFlags, runCli } from '../support/cli.js'
import type { SerializerName } from '../support/clients.js'
import { calleesSeen, changeRecord, eventually, settlesWithin, tally, TestCluster } from '../support/cluster.js'
import { failureOf, openPeer, type ClientKind, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'

/**
 * Issue 12's cluster-wide semantics that the other cluster suites do not prove, on 3 nodes (a real
 * nats-server, node processes): `first`/`last` by the cluster-wide order, `random` and weights
 * over the callees of every node, the conflict rules across nodes, authorization the same on every
 * node, evict from a CLI on a third node, a caller's node dying with calls in flight, idle callers
 * of other nodes forgotten, a caller answered at the callee's deadline when the callee's node is
 * frozen, a subscriber put back into a record made again over it. Nodes d and f are started (and
 * stopped) by the tests that need them; a, b and c stay up for the whole file.
 */

const NODES = ['a', 'b', 'c'] as const
/** anonymous is admin (meta procedures); tina (ticket) and craig (WAMP-CRA) may only call and subscribe under com.sem.open. */
const CONFIG = {
  realms: [
    {
      name: 'realm1',
      roles: {
        anonymous: { admin: true },
        admin: { admin: true },
        limited: { permissions: [{ uri: 'com.sem.open.', match: 'prefix', allow: ['call', 'subscribe'] }] },
      },
      auth: {
        anonymous: { role: 'anonymous' },
        ticket: { tina: { ticket: 'tina-ticket', role: 'limited' } },
        wampcra: { craig: { secret: 'craig-secret', role: 'limited' } },
      },
    },
  ],
}
/** Clients and serializers, spread over the nodes. */
const MIX: Array<[ClientKind, SerializerName]> = [
  ['autobahn', 'json'],
  ['wampy', 'msgpack'],
  ['autobahn', 'cbor'],
]

const cluster = TestCluster.forFile([...NODES], { config: CONFIG, args: ['--admin', '127.0.0.1:0'] })

/** A client on each node (anonymous, so admin), of each kind and serializer. */
async function callers(): Promise<Record<string, Peer>> {
  const out: Record<string, Peer> = {}
  for (const [i, n] of NODES.entries()) out[n] = await openPeer(MIX[i]![0], cluster.url(n), MIX[i]![1])
  return out
}

/** A raw callee of `uri` on `node` answering its node's name. */
async function namedCallee(node: string, uri: string, options: Record<string, unknown>): Promise<RawPeer> {
  const callee = await RawPeer.joined(cluster.url(node), node === 'b' ? 'msgpack' : node === 'c' ? 'cbor' : 'json')
  const reply = await callee.register(uri, options)
  expect(reply[0], JSON.stringify(reply)).toBe(65)
  callee.serve((inv) => [70, inv[1], {}, [node]])
  return callee
}

/** `count` calls of `uri` by `caller`: how many each node's callee answered. */
const answeredBy = (caller: Peer, uri: string, count: number): Promise<Record<string, number>> =>
  tally(count, async () => (await caller.call(uri)).args[0])

describe('callee choice by the cluster-wide order and weights', () => {
  it.each(['first', 'last'] as const)(
    '%s picks by the registration order over the nodes, from every node, also after that callee leaves',
    async (invoke) => {
      const uri = `com.sem.${invoke}`
      // Registered b, then c, then a: first is b's, last is a's, whichever node routes.
      const b = await namedCallee('b', uri, { invoke })
      await calleesSeen(cluster, 'c', uri, 1)
      const c = await namedCallee('c', uri, { invoke })
      await calleesSeen(cluster, 'a', uri, 2)
      const a = await namedCallee('a', uri, { invoke })
      for (const n of NODES) await calleesSeen(cluster, n, uri, 3)
      const from = await callers()
      const [head, next] = invoke === 'first' ? ['b', 'c'] : ['a', 'c']
      for (const n of NODES) expect(await answeredBy(from[n]!, uri, 4)).toEqual({ [head]: 4 })
      // That callee leaves: every node goes to the next one in the order (c, the middle one).
      ;(invoke === 'first' ? b : a).terminate()
      for (const n of NODES) await calleesSeen(cluster, n, uri, 2)
      for (const n of NODES) expect(await answeredBy(from[n]!, uri, 4)).toEqual({ [next]: 4 })
      c.terminate()
    },
  )

  it('random spreads over the callees of every node, from every node', async () => {
    const uri = 'com.sem.random'
    for (const n of NODES) await namedCallee(n, uri, { invoke: 'random' })
    for (const n of NODES) await calleesSeen(cluster, n, uri, 3)
    const from = await callers()
    for (const n of NODES) {
      const seen = await answeredBy(from[n]!, uri, 90)
      // 30 expected each; outside 8..60 has a probability far below 1e-9.
      expect(Object.keys(seen).sort()).toEqual(['a', 'b', 'c'])
      for (const count of Object.values(seen)) expect(count).toBeGreaterThanOrEqual(8)
      for (const count of Object.values(seen)) expect(count).toBeLessThanOrEqual(60)
    }
  })

  it('random with weights from every node: the shares follow the weights of callees on other nodes, weight 0 never chosen', async () => {
    const uri = 'com.sem.weighted'
    await namedCallee('a', uri, { invoke: 'random', _weight: 1 })
    await namedCallee('b', uri, { invoke: 'random', _weight: 3 })
    await namedCallee('c', uri, { invoke: 'random', _weight: 0 })
    for (const n of NODES) await calleesSeen(cluster, n, uri, 3)
    const from = await callers()
    for (const n of NODES) {
      const seen = await answeredBy(from[n]!, uri, 120)
      expect(seen.c).toBeUndefined()
      // a: 30 expected (a quarter); 10..60 is more than 4 standard deviations either way.
      expect(seen.a ?? 0).toBeGreaterThanOrEqual(10)
      expect(seen.a ?? 0).toBeLessThanOrEqual(60)
      expect((seen.a ?? 0) + (seen.b ?? 0)).toBe(120)
    }
  })
})

describe('the conflict rules across nodes', () => {
  it('another invoke policy, a second single, the same session twice: procedure_already_exists from every node, nothing changed', async () => {
    const from = await callers()
    const shared = 'com.sem.conflict.shared'
    const id = await from.a!.register(shared, () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    await calleesSeen(cluster, 'b', shared, 1)
    await calleesSeen(cluster, 'c', shared, 1)
    // Another policy, from b and c.
    for (const n of ['b', 'c'] as const) {
      const other = await openPeer('autobahn', cluster.url(n), 'msgpack')
      const f = await failureOf(other.register(shared, () => undefined, { invoke: 'first' }))
      expect([n, f.uri, f.kwargs]).toEqual([
        n,
        'wamp.error.procedure_already_exists',
        { registration: id, match: 'exact', invoke: 'roundrobin' },
      ])
    }
    // The same session twice: c's session joins the registration, then asks again.
    expect(await from.c!.register(shared, () => ({ args: ['c'] }), { invoke: 'roundrobin' })).toBe(id)
    const twice = await RawPeer.joined(cluster.url('b'), 'cbor')
    expect((await twice.register(shared, { invoke: 'roundrobin' }))[0]).toBe(65)
    const again = await twice.register(shared, { invoke: 'roundrobin' })
    expect([again[0], again[4]]).toEqual([8, 'wamp.error.procedure_already_exists'])
    // And twice at once (the second REGISTER sent before the first is answered): one is refused.
    const hasty = await RawPeer.joined(cluster.url('c'), 'msgpack')
    const asks = [hasty.nextRequest(), hasty.nextRequest()]
    for (const r of asks) hasty.send([64, r, { invoke: 'roundrobin' }, shared])
    const answers = await Promise.all(asks.map((r) => hasty.next((m) => (m[0] === 65 && m[1] === r) || (m[0] === 8 && m[2] === r))))
    expect(answers.map((m) => (m[0] === 65 ? 'registered' : m[4])).sort()).toEqual(['registered', 'wamp.error.procedure_already_exists'])

    // A second single, from another node than the first.
    const single = 'com.sem.conflict.single'
    const only = await from.b!.register(single, () => ({ args: ['b'] }), { invoke: 'single' })
    await calleesSeen(cluster, 'a', single, 1)
    const f = await failureOf(from.a!.register(single, () => undefined, { invoke: 'single' }))
    expect([f.uri, f.kwargs]).toEqual(['wamp.error.procedure_already_exists', { registration: only, match: 'exact', invoke: 'single' }])

    // Every node: the same callees, in the order they came, and the single one alone.
    for (const n of NODES) {
      await eventually(async () =>
        expect((await from[n]!.call(RegistrationMeta.listCallees, [id])).args[0]).toEqual([
          from.a!.id,
          from.c!.id,
          twice.sessionId,
          hasty.sessionId,
        ]),
      )
      expect((await from[n]!.call(RegistrationMeta.listCallees, [only])).args[0]).toEqual([from.b!.id])
      expect((await from[n]!.call(single)).args).toEqual(['b'])
    }
  })
})

describe('authorization is the same on every node', () => {
  const tina = (node: string, ser: SerializerName): Promise<Peer> =>
    openPeer('autobahn', cluster.url(node), ser, { authid: 'tina', authmethods: ['ticket'], onchallenge: () => 'tina-ticket' })
  const craig = (node: string, ser: SerializerName): Promise<Peer> =>
    openPeer('autobahn', cluster.url(node), ser, {
      authid: 'craig',
      authmethods: ['wampcra'],
      onchallenge: (_s, _m, extra) => craSign('craig-secret', (extra as { challenge: string }).challenge),
    })

  it('a role without call permission is denied a procedure whose callee is on another node; the allowed one is served', async () => {
    const secret = 'com.sem.auth.secret'
    const open = 'com.sem.open.echo'
    const callee = await openPeer('wampy', cluster.url('b'), 'msgpack')
    await callee.register(secret, () => ({ args: ['secret'] }))
    await callee.register(open, (inv) => ({ args: ['open', ...inv.args] }))
    for (const n of NODES) await calleesSeen(cluster, n, open, 1)
    for (const [n, peer] of [
      ['a', await tina('a', 'json')],
      ['c', await craig('c', 'cbor')],
      ['b', await tina('b', 'msgpack')],
    ] as const) {
      const denied = await failureOf(peer.call(secret))
      expect([n, denied.uri]).toEqual([n, 'wamp.error.not_authorized'])
      expect((await peer.call(open, [n])).args).toEqual(['open', n])
      // Nor may it register (it has no register permission), on any node.
      expect([n, (await failureOf(peer.register('com.sem.open.mine', () => undefined))).uri]).toEqual([n, 'wamp.error.not_authorized'])
    }
  })

  it('a subscriber without subscribe permission is denied on every node; an authorised one gets the events of another node', async () => {
    const publisher = await openPeer('autobahn', cluster.url('b'), 'json')
    const got: unknown[] = []
    for (const [i, n] of NODES.entries()) {
      const p = i % 2 === 0 ? await tina(n, MIX[i]![1]) : await craig(n, MIX[i]![1])
      expect([n, (await failureOf(p.subscribe('com.sem.auth.topic', () => undefined))).uri]).toEqual([n, 'wamp.error.not_authorized'])
      if (n !== 'b') await p.subscribe('com.sem.open.topic', (e) => got.push([n, e.args[0]]))
    }
    await eventually(async () =>
      expect(
        (
          await publisher.call(SubscriptionMeta.countSubscribers, [
            (await publisher.call(SubscriptionMeta.lookup, ['com.sem.open.topic'])).args[0],
          ])
        ).args[0],
      ).toBe(2),
    )
    await publisher.publish('com.sem.open.topic', ['hello'])
    await eventually(() =>
      expect(got.sort()).toEqual([
        ['a', 'hello'],
        ['c', 'hello'],
      ]),
    )
  })
})

describe('operations from a CLI on a third node', () => {
  it("evict through node a removes a callee of node c: it is revoked on its own node and gone from every node's registration", async () => {
    const uri = 'com.sem.evict'
    const keep = await namedCallee('b', uri, { invoke: 'roundrobin' })
    const evicted = await namedCallee('c', uri, { invoke: 'roundrobin' })
    for (const n of NODES) await calleesSeen(cluster, n, uri, 2)
    const r = await runCli(
      [
        'evict',
        String(evicted.sessionId),
        '--uri',
        uri,
        '--reason',
        'com.example.moved',
        '--yes',
        '--json',
        ...connFlags(cluster.url('a')),
      ],
      {
        timeoutMs: 30_000,
      },
    )
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ session: evicted.sessionId, registrations: [{ uri, outcome: 'revoked' }] })
    // UNREGISTERED with request 0: the revocation, from node c.
    const revoked = await evicted.nextOf(67)
    expect(revoked[1]).toBe(0)
    expect(revoked[2]).toMatchObject({ reason: 'com.example.moved' })
    for (const n of NODES) await calleesSeen(cluster, n, uri, 1)
    const from = await callers()
    for (const n of NODES) expect(await answeredBy(from[n]!, uri, 2)).toEqual({ b: 2 })
    keep.terminate()
  })
})

describe("a caller's node lost with calls in flight", () => {
  it("node d killed with 3 calls in flight to a callee on b: the callee gets an INTERRUPT for each, b's statistics keep none in flight", async () => {
    const uri = 'com.sem.orphaned'
    const callee = await RawPeer.joined(cluster.url('b'), 'msgpack')
    expect((await callee.register(uri))[0]).toBe(65)
    await cluster.startNode('d', { config: CONFIG })
    await calleesSeen(cluster, 'd', uri, 1)
    const caller = await RawPeer.joined(cluster.url('d'), 'cbor')
    for (let i = 0; i < 3; i++) caller.send([48, caller.nextRequest(), {}, uri, [i]])
    const invocations = [await callee.nextOf(68), await callee.nextOf(68), await callee.nextOf(68)]
    const observer = await openPeer('autobahn', cluster.url('a'), 'json')
    const inflight = async (): Promise<number | null | undefined> => {
      const snap = (await observer.call(ExtensionUri.snapshot)).args[0] as RouterSnapshot
      return snap.registrations.find((reg) => reg.uri === uri)?.callees.find((c) => c.session === callee.sessionId)?.inflight
    }
    expect(await inflight()).toBe(3)

    await cluster.node('d').kill9()
    cluster.nodes.delete('d')
    // b declares d dead (2 s here) and gives up its callers' calls: one INTERRUPT each, nothing left in flight.
    const interrupts = [await eventually(() => callee.nextOf(69), 20_000), await callee.nextOf(69), await callee.nextOf(69)]
    expect(interrupts.map((m) => m[1]).sort()).toEqual(invocations.map((m) => m[1]).sort())
    for (const m of interrupts) expect(m[2]).toMatchObject({ mode: 'killnowait' })
    await eventually(async () => expect(await inflight()).toBe(0))
    // The callee still serves, and its late answers to the dead node's calls go nowhere.
    for (const inv of invocations) callee.send([70, inv[1], {}, ['late']])
    callee.serve((inv) => [70, inv[1], {}, ['next']])
    expect((await observer.call(uri)).args).toEqual(['next'])
    expect(await inflight()).toBe(0)
  }, 60_000)
})

describe('callers of other nodes on a callee’s node', () => {
  /** `wampctl_cluster_remote_callers` of realm1 on `node` (its admin listener's /metrics). */
  async function remoteCallers(node: string): Promise<number> {
    const admin = /admin listener on (http:\/\/\S+)/.exec(cluster.node(node).stdout)![1]!
    const text = await (await fetch(`${admin}/metrics`)).text()
    return Number(/^wampctl_cluster_remote_callers\{realm="realm1"\} (\d+)$/m.exec(text)?.[1] ?? NaN)
  }

  it('are held while their calls are in flight and forgotten once idle; a forgotten caller calls again', async () => {
    const uri = 'com.sem.idle_callers'
    const callee = await RawPeer.joined(cluster.url('b'), 'cbor')
    expect((await callee.register(uri))[0]).toBe(65)
    await calleesSeen(cluster, 'a', uri, 1)
    await calleesSeen(cluster, 'c', uri, 1)
    const callers = [
      await RawPeer.joined(cluster.url('a')),
      await RawPeer.joined(cluster.url('a'), 'msgpack'),
      await RawPeer.joined(cluster.url('c')),
    ]
    const requests = callers.map((c) => {
      const r = c.nextRequest()
      c.send([48, r, {}, uri])
      return r
    })
    const invocations = [await callee.nextOf(68), await callee.nextOf(68), await callee.nextOf(68)]
    expect(await remoteCallers('b')).toBeGreaterThanOrEqual(3)
    for (const inv of invocations) callee.send([70, inv[1], {}, ['done']])
    for (const [i, c] of callers.entries()) expect(await c.callReply(requests[i]!)).toEqual([50, requests[i], {}, ['done']])
    // No call for a node timeout (2 s here) or two: node b forgets them all.
    await eventually(async () => expect(await remoteCallers('b')).toBe(0), 20_000)
    callee.serve((inv) => [70, inv[1], {}, ['again']])
    expect((await callers[0]!.call(uri))[3]).toEqual(['again'])
  }, 40_000)
})

describe('deadlines when the callee’s node is frozen', () => {
  it("the caller's node answers at the callee's _deadline_ms and at the caller's timeout, without waiting for the node to be declared dead", async () => {
    const withDeadline = 'com.sem.frozen.deadline'
    const plain = 'com.sem.frozen.plain'
    const node = await cluster.startNode('f', { config: CONFIG })
    const callee = await RawPeer.joined(cluster.url('f'), 'msgpack')
    expect((await callee.register(withDeadline, { _deadline_ms: 300 }))[0]).toBe(65)
    expect((await callee.register(plain))[0]).toBe(65)
    await calleesSeen(cluster, 'a', withDeadline, 1)
    await calleesSeen(cluster, 'a', plain, 1)
    const caller = await openPeer('autobahn', cluster.url('a'), 'msgpack')
    process.kill(node.pid, 'SIGSTOP')
    try {
      // Node a would declare f dead after 2 s (then: canceled); the deadline and the timeout come first.
      const [byDeadline, byTimeout] = await settlesWithin(
        Promise.all([failureOf(caller.call(withDeadline)), failureOf(caller.call(plain, [], {}, { timeout: 300 }))]),
        10_000,
        'calls to a frozen node with a deadline and a timeout',
      )
      expect([byDeadline.uri, byTimeout.uri]).toEqual(['wamp.error.timeout', 'wamp.error.timeout'])
    } finally {
      process.kill(node.pid, 'SIGCONT')
    }
    await node.kill9()
    cluster.nodes.delete('f')
  }, 60_000)
})

describe('a subscription record made again by another node', () => {
  it('a local subscriber that a new record left out is put back into it, keeps its subscription id and gets every node’s publications', async () => {
    const topic = 'com.sem.resubscribed'
    const kept = await RawPeer.joined(cluster.url('b'), 'msgpack')
    const request = kept.nextRequest()
    kept.send([32, request, {}, topic])
    const old = (await kept.nextOf(33, request))[2] as number
    const from = await callers()
    const subscribers = async (p: Peer): Promise<{ id: unknown; sessions: number[] }> => {
      const id = (await p.call(SubscriptionMeta.lookup, [topic])).args[0]
      const sessions = id === null ? [] : ((await p.call(SubscriptionMeta.listSubscribers, [id])).args[0] as number[])
      return { id, sessions }
    }
    for (const n of NODES)
      await eventually(async () => expect(await subscribers(from[n]!)).toEqual({ id: old, sessions: [kept.sessionId] }))
    // Another node's new record of the topic (another id, a subscriber of a node g), made over b's.
    const renewed = 777_003
    await changeRecord(
      cluster.nats.url,
      subscriptionKey(topic, 'exact'),
      () =>
        ({
          id: renewed,
          uri: topic,
          match: 'exact',
          created: new Date().toISOString(),
          subscribers: [{ node: 'g', session: 4_000_000_000_456 }],
        }) satisfies SubscriptionRecord,
    )
    // b puts its subscriber back into it: every node lists both under the new id.
    for (const n of NODES)
      await eventually(async () =>
        expect(await subscribers(from[n]!)).toEqual({ id: renewed, sessions: [4_000_000_000_456, kept.sessionId] }),
      )
    // Publications of every other node reach it, under the subscription id it was given.
    await from.a!.publish(topic, ['from a'])
    await from.c!.publish(topic, ['from c'])
    const events = [await kept.nextOf(36), await kept.nextOf(36)]
    expect(events.map((e) => [e[1], (e[4] as unknown[])[0]]).sort()).toEqual([
      [old, 'from a'],
      [old, 'from c'],
    ])
    kept.terminate()
    for (const n of NODES)
      await eventually(async () => expect(await subscribers(from[n]!)).toEqual({ id: renewed, sessions: [4_000_000_000_456] }))
    await changeRecord(cluster.nats.url, subscriptionKey(topic, 'exact'), () => undefined)
  })
})
