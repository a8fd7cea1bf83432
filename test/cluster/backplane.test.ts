import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { SessionMeta } from '../../src/protocol/meta-uris.js'
import { clusterBucket, realmBucket } from '../../src/router/cluster/keys.js'
import { calleesOf, clusterStatusAt, eventually, RouterNode } from '../support/cluster.js'
import { MetaRecorder, waitUntil } from '../support/meta.js'
import { NatsCluster } from '../support/nats.js'
import { callLoad, openPeer, type Peer } from '../support/peers.js'

/**
 * The backplane a production cluster runs on (docs/cluster.md, "A NATS cluster as the backplane"):
 * three clustered nats-servers with JetStream, the buckets replicated on all three
 * (`--cluster-replicas 3`), three router nodes each connected to its own NATS server and given all
 * three URLs. One NATS server killed under call load must cost no registration, no node, and no
 * call that waits for ever. Nodes time out after 2 s here.
 */

const NODES = ['a', 'b', 'c'] as const

/** Fails with `what` unless `p` settles within `ms`: a call that hangs is a clear failure, not a test timeout. */
function settlesWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

describe('the backplane: a NATS cluster of 3 with replicated buckets', () => {
  let nats: NatsCluster
  let dir: string
  const nodes = new Map<string, RouterNode>()
  const url = (name: string): string => nodes.get(name)!.url

  beforeAll(async () => {
    nats = await NatsCluster.start(3)
    dir = mkdtempSync(join(tmpdir(), 'wampctl-backplane-'))
    // Each node lists its own NATS server first, then the two others to fail over to.
    for (const [i, name] of NODES.entries()) {
      const servers = [...nats.urls.slice(i), ...nats.urls.slice(0, i)].join(',')
      nodes.set(name, await RouterNode.start(name, servers, dir, { args: ['--cluster-replicas', '3'] }))
    }
  }, 120_000)

  afterAll(async () => {
    for (const n of nodes.values()) await n.kill9()
    await nats?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('each node is connected to its own NATS server, and the buckets have a replica on each of the three', async () => {
    for (const [i, name] of NODES.entries()) {
      const st = await clusterStatusAt(url(name))
      expect(st.node).toBe(name)
      expect(st.nats?.server).toBe(`127.0.0.1:${nats.members[i]!.port}`)
      expect(st.nats?.servers).toHaveLength(3)
      await eventually(async () =>
        expect((await clusterStatusAt(url(name))).nodes.map((n) => [n.node, n.state])).toEqual(NODES.map((n) => [n, 'alive'])),
      )
    }
    const nc = await connect({ servers: nats.urls })
    try {
      const kvm = new Kvm(nc)
      for (const bucket of [realmBucket('wampctl', 'realm1'), clusterBucket('wampctl')]) {
        const st = await (await kvm.open(bucket)).status()
        expect(st.replicas, bucket).toBe(3)
      }
    } finally {
      await nc.close()
    }
  })

  it('a node asking for another replica count than the buckets have joins, and warns that they keep theirs', async () => {
    const d = await RouterNode.start('d', nats.urls.join(','), dir, { args: ['--cluster-replicas', '1'] })
    try {
      await eventually(() => {
        const warning = d.stderr.split('\n').find((l) => l.includes('keeps the replica count it was created with'))
        expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', bucket: realmBucket('wampctl', 'realm1'), replicas: 3, asked: 1 })
      })
    } finally {
      expect(await d.terminate()).toBe(0)
    }
    for (const name of NODES) for (const l of nodes.get(name)!.stderr.split('\n')) expect(l).not.toContain('keeps the replica count')
  }, 60_000)

  it('calls and publications cross the nodes through the NATS cluster', async () => {
    const callees: Peer[] = []
    for (const name of NODES) {
      const p = await openPeer(name === 'b' ? 'wampy' : 'autobahn', url(name), 'msgpack')
      await p.register('com.bp.where', () => ({ args: [name] }), { invoke: 'roundrobin' })
      callees.push(p)
    }
    const caller = await openPeer('autobahn', url('a'), 'json')
    await eventually(async () => expect(await calleesOf(caller, 'com.bp.where')).toHaveLength(3))
    const answers = new Set<unknown>()
    for (let i = 0; i < 30 && answers.size < 3; i++) answers.add((await caller.call('com.bp.where')).args[0])
    expect([...answers].sort()).toEqual(['a', 'b', 'c'])

    const got: Record<string, unknown[]> = { a: [], c: [] }
    for (const name of ['a', 'c']) {
      const sub = await openPeer('autobahn', url(name), 'cbor')
      await sub.subscribe('com.bp.topic', (e) => void got[name]!.push(e.args[0]))
    }
    const publisher = await openPeer('wampy', url('b'), 'json')
    // The subscriptions reach b's replica through the bucket: publish until both have one event.
    await eventually(async () => {
      await publisher.publish('com.bp.topic', ['hello'])
      expect(got.a!.length).toBeGreaterThan(0)
      expect(got.c!.length).toBeGreaterThan(0)
    }, 20_000)
    for (const p of [...callees, caller, publisher]) await p.leave()
  }, 60_000)

  it('the NATS server holding the realm bucket’s leader killed under call load: nodes fail over, nobody is declared dead, nothing registered is lost, every call is answered', async () => {
    const callees: Peer[] = []
    for (const name of NODES) {
      const p = await openPeer(name === 'b' ? 'wampy' : 'autobahn', url(name), 'msgpack')
      await p.register('com.bp.work', () => ({ args: [name] }), { invoke: 'roundrobin' })
      callees.push(p)
    }
    const ids = callees.map((p) => p.id).sort((x, y) => x - y)
    const callers = new Map<string, Peer>()
    for (const name of NODES) {
      const caller = await openPeer('autobahn', url(name), 'cbor')
      await eventually(async () => expect(await calleesOf(caller, 'com.bp.work')).toEqual(ids))
      callers.set(name, caller)
    }
    const monitor = await MetaRecorder.start(await openPeer('autobahn', url('a'), 'json'), [SessionMeta.onLeave])
    const before = await clusterStatusAt(url('a'))
    const incarnations = Object.fromEntries(before.nodes.map((n) => [n.node, n.incarnation]))

    // The server to kill: the one leading the realm bucket's stream (its replicas elect another leader).
    const nc = await connect({ servers: nats.urls })
    let leader: string | undefined
    try {
      leader = (await (await new Kvm(nc).open(realmBucket('wampctl', 'realm1'))).status()).streamInfo.cluster?.leader
    } finally {
      await nc.close()
    }
    const victim = nats.members.findIndex((m) => m.name === leader)
    expect(victim, `stream leader ${String(leader)}`).toBeGreaterThanOrEqual(0)
    const cutOff = NODES[victim]!

    const loads = new Map([...callers].map(([name, caller]) => [name, callLoad(caller, 'com.bp.work')]))
    for (const [name, load] of loads)
      await waitUntil(() => NODES.every((n) => load.answers.includes(n)), `calls from ${name} answered on every node`, 20_000)

    await nats.kill(victim)
    // Node `cutOff` was connected to it: it reconnects to another; everyone stays alive, as the same life.
    for (const name of NODES) {
      await eventually(async () => {
        const st = await clusterStatusAt(url(name))
        expect(st.nats?.state).toBe('connected')
        expect(st.nats?.server).not.toBe(`127.0.0.1:${nats.members[victim]!.port}`)
        for (const n of st.nodes) {
          expect([n.node, n.state, n.incarnation]).toEqual([n.node, 'alive', incarnations[n.node]])
          expect(n.last_seen_ms).toBeLessThan(2000)
        }
      }, 20_000)
    }
    // Calls cross the nodes again, from every node to every node.
    for (const [name, load] of loads) {
      const from = load.answers.length
      await waitUntil(
        () => NODES.every((n) => load.answers.slice(from).includes(n)),
        `calls from ${name} to every node after the kill`,
        30_000,
      )
    }
    // Every live callee is still registered, as every node sees it.
    for (const [name, caller] of callers)
      await eventually(async () => expect(await calleesOf(caller, 'com.bp.work'), name).toEqual(ids), 30_000)
    // A REGISTER goes through once the bucket has its new leader (the bucket lives on the two servers
    // left), and every node's replica sees it: their watches were started again. The load runs on meanwhile.
    const late = await openPeer('autobahn', url(cutOff), 'json')
    await eventually(() => late.register('com.bp.after', () => ({ args: ['late'] })), 30_000)
    for (const [name, caller] of callers)
      await eventually(async () => expect((await caller.call('com.bp.after')).args[0], name).toBe('late'), 20_000)
    // Every call was answered (a call lost with the server would hang its lane); the only failures are calls in flight across the cut.
    for (const [name, load] of loads) await settlesWithin(load.stop(), 20_000, `the load from ${name}`)
    for (const [, load] of loads) for (const f of load.failures) expect(f).toBe('wamp.error.canceled')
    // Nobody was declared dead, and no session left.
    for (const name of NODES) expect(nodes.get(name)!.stderr, name).not.toContain('silent past the node timeout')
    const live = new Set([...callees, ...callers.values()].map((p) => p.id))
    expect(monitor.of(SessionMeta.onLeave).filter((e) => live.has(e.args[0] as number))).toEqual([])
  }, 180_000)
})
