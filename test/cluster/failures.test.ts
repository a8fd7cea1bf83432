import { describe, expect, it } from 'vitest'
import { CLUSTER_FEATURE, type ClusterNodeStatus, type ClusterStatus } from '../../src/protocol/cluster.js'
import { ExtensionUri } from '../../src/protocol/extensions.js'
import { RegistrationMeta, SessionMeta, SubscriptionMeta } from '../../src/protocol/meta-uris.js'
import { autobahnSession } from '../support/clients.js'
import { calleeOrder, calleesOf, clusterStatusAt, entriesOf, eventually, settlesWithin, TestCluster } from '../support/cluster.js'
import { HeldCallee } from '../support/held-callee.js'
import { TcpProxy } from '../support/tcp-proxy.js'
import { ALL_META_EVENTS, MetaRecorder, waitUntil } from '../support/meta.js'
import { callLoad, asFailure, failureOf, openPeer, type Peer } from '../support/peers.js'

/**
 * The cluster's failures, end to end (docs/cluster.md "Failures"): a node killed with kill -9 under
 * load, NATS restarted under load, a node stopped with SIGTERM. Nodes time out after 2 s here.
 */

function byName(st: ClusterStatus): Record<string, ClusterNodeStatus> {
  return Object.fromEntries(st.nodes.map((n) => [n.node, n]))
}

/** Subscribers of `topic` (`match`) as `peer`'s node sees them, sorted; [] when there is no such subscription. */
async function subscribersOf(peer: Peer, topic: string, match = 'exact'): Promise<number[]> {
  const id = (await peer.call(SubscriptionMeta.lookup, [topic, { match }])).args[0] as number | null
  if (id === null) return []
  return ((await peer.call(SubscriptionMeta.listSubscribers, [id])).args[0] as number[]).sort((x, y) => x - y)
}

/**
 * The meta events `m` recorded about the sessions `ids`, as strings (`on_join 12`, `on_register 12`…),
 * in the order they came: compared across nodes, and checked for a consistent story.
 */
function storyOf(m: MetaRecorder, ids: number[]): string[] {
  const short = (topic: string): string => topic.slice(topic.lastIndexOf('.') + 1)
  const out: string[] = []
  for (const e of m.events) {
    const session = e.topic === SessionMeta.onJoin ? (e.args[0] as { session: number }).session : (e.args[0] as number)
    if (ids.includes(session)) out.push(`${short(e.topic)} ${session}`)
  }
  return out
}

describe('cluster membership and failures (real nats-server, node processes)', () => {
  const cluster = TestCluster.forFile(['a', 'b', 'c'])

  it('every node answers wampctl.cluster.status with every node, itself marked self', async () => {
    for (const name of ['a', 'b', 'c']) {
      const st = await eventually(async () => {
        const st = await clusterStatusAt(cluster.url(name))
        expect(st.nodes.map((n) => n.node)).toEqual(['a', 'b', 'c'])
        return st
      })
      expect(st.cluster).toBe('wampctl')
      expect(st.node).toBe(name)
      expect(st.nats).toEqual({ servers: [cluster.nats.url], state: 'connected', server: `127.0.0.1:${cluster.nats.port}` })
      const nodes = byName(st)
      for (const n of ['a', 'b', 'c']) {
        expect(nodes[n]!.state).toBe('alive')
        expect(nodes[n]!.self).toBe(n === name)
        expect(nodes[n]!.nats).toBe('connected')
        expect(nodes[n]!.incarnation).toMatch(/^[0-9a-f]{12}$/)
      }
      expect(nodes[name]!.url).toBe(cluster.url(name))
      expect(nodes[name]!.last_seen_ms).toBe(0)
    }
    // Each node reports its own sessions: the one asking is on the node it asks.
    const st = await clusterStatusAt(cluster.url('b'))
    expect(byName(st).b!.sessions).toBe(1)
  })

  it('router.info lists the cluster feature on a cluster node', async () => {
    const s = await autobahnSession(cluster.url('a'))
    const info = (await s.call(ExtensionUri.info, [])) as { features: string[] }
    expect(info.features).toContain(CLUSTER_FEATURE)
  })

  it('kill -9 under load: the survivors remove its sessions, registrations and subscriptions, publish their meta events once, cancel its calls in flight; calls go to the survivors', async () => {
    const monitors = {
      a: await MetaRecorder.start(await openPeer('autobahn', cluster.url('a'), 'json'), ALL_META_EVENTS),
      b: await MetaRecorder.start(await openPeer('wampy', cluster.url('b'), 'msgpack'), ALL_META_EVENTS),
    }
    const workA = await openPeer('autobahn', cluster.url('a'), 'msgpack')
    await workA.register('com.fail.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    const workC = await openPeer('wampy', cluster.url('c'), 'json')
    await workC.register('com.fail.work', () => ({ args: ['c'] }), { invoke: 'roundrobin' })
    const holdC = await openPeer('autobahn', cluster.url('c'), 'cbor')
    const { callee: held, registration: holdReg } = await HeldCallee.register(holdC, 'c', 'com.fail.hold', {})
    const subC = await openPeer('autobahn', cluster.url('c'), 'json')
    const subscription = await subC.subscribe('com.fail.topic', () => {})
    const gone = [workC.id, holdC.id, subC.id]
    const caller = await openPeer('autobahn', cluster.url('b'), 'cbor')
    for (const m of Object.values(monitors)) {
      await eventually(async () => expect(await calleesOf(m.monitor, 'com.fail.work')).toEqual([workA.id, workC.id].sort((x, y) => x - y)))
      await eventually(async () => expect(await calleesOf(m.monitor, 'com.fail.hold')).toEqual([holdC.id]))
      await eventually(async () => expect((await m.monitor.call(SubscriptionMeta.lookup, ['com.fail.topic'])).args[0]).toBe(subscription))
    }

    const load = callLoad(caller, 'com.fail.work')
    const holds = [1, 2, 3, 4, 5].map((i) =>
      caller.call('com.fail.hold', [i]).then(
        () => 'answered',
        (err: unknown) => asFailure(err).uri,
      ),
    )
    await held.until(() => held.holding === 5, 'five calls held on c')
    await waitUntil(() => load.answers.includes('a') && load.answers.includes('c'), 'calls answered by both callees')

    await cluster.node('c').kill9()
    cluster.nodes.delete('c')

    // Every call in flight to c is answered, canceled: nothing hangs.
    expect(await settlesWithin(Promise.all(holds), 20_000, 'the calls held on c')).toEqual(Array(5).fill('wamp.error.canceled'))
    // b has dropped c's callees: from now on every call goes to a.
    const from = load.answers.length
    await waitUntil(() => load.answers.length >= from + 50, '50 more answers after the kill', 20_000)
    await settlesWithin(load.stop(), 20_000, 'the load')
    expect(load.answers.slice(from).every((x) => x === 'a')).toBe(true)
    for (const f of load.failures) expect(f).toBe('wamp.error.canceled')

    for (const [name, m] of Object.entries(monitors)) {
      for (const id of gone) await m.waitForTopic(SessionMeta.onLeave, 0, id)
      await m.waitFor(
        (e) => e.topic === RegistrationMeta.onUnregister && e.args[0] === workC.id,
        `${name}: on_unregister of c's work callee`,
      )
      await m.waitFor((e) => e.topic === RegistrationMeta.onDelete && e.args[1] === holdReg, `${name}: on_delete of com.fail.hold`)
      await m.waitFor(
        (e) => e.topic === SubscriptionMeta.onUnsubscribe && e.args[0] === subC.id,
        `${name}: on_unsubscribe of c's subscriber`,
      )
      expect(await calleesOf(m.monitor, 'com.fail.work')).toEqual([workA.id])
      expect(await calleesOf(m.monitor, 'com.fail.hold')).toEqual([])
      expect((await m.monitor.call(SubscriptionMeta.lookup, ['com.fail.topic'])).args[0]).toBeNull()
      const sessions = (await m.monitor.call(SessionMeta.list, [])).args[0] as number[]
      for (const id of gone) expect(sessions).not.toContain(id)
      expect((await failureOf(m.monitor.call(SessionMeta.get, [workC.id]))).uri).toBe('wamp.error.no_such_session')
    }
    expect(await entriesOf(cluster.nats.url, 'c')).toEqual([])

    // Once on each node: a marker session's departure, written after the cleanup, comes after its events.
    const marker = await openPeer('autobahn', cluster.url('a'), 'json')
    await marker.leave()
    for (const m of Object.values(monitors)) {
      await m.waitForTopic(SessionMeta.onLeave, 0, marker.id)
      for (const id of gone) expect(m.of(SessionMeta.onLeave).filter((e) => e.args[0] === id)).toHaveLength(1)
      expect(m.of(RegistrationMeta.onUnregister).filter((e) => e.args[0] === workC.id)).toHaveLength(1)
      expect(m.of(RegistrationMeta.onUnregister).filter((e) => e.args[0] === holdC.id)).toHaveLength(1)
      expect(m.of(RegistrationMeta.onDelete).filter((e) => e.args[1] === holdReg)).toHaveLength(1)
      expect(m.of(SubscriptionMeta.onUnsubscribe).filter((e) => e.args[0] === subC.id)).toHaveLength(1)
    }
    const st = byName(await clusterStatusAt(cluster.url('a')))
    expect(st.c!.state).toBe('dead')
  }, 120_000)

  it('a node started again after a kill -9 is a new life, alive for every node', async () => {
    if (cluster.nodes.has('c')) {
      // The test before stopped early: the dead life goes first (never two processes named c).
      await cluster.node('c').kill9()
      cluster.nodes.delete('c')
    }
    const before = await eventually(async () => {
      const c = byName(await clusterStatusAt(cluster.url('a'))).c!
      expect(c.state).toBe('dead')
      return c
    })
    await cluster.startNode('c')
    for (const name of ['a', 'b', 'c']) {
      const after = await eventually(async () => {
        const c = byName(await clusterStatusAt(cluster.url(name))).c!
        expect(c.state).toBe('alive')
        return c
      })
      expect(after.incarnation).not.toBe(before.incarnation)
    }
  }, 60_000)

  it('NATS restarted under load: local calls go on, calls to other nodes fail fast, nobody is declared dead, nothing registered is lost', async () => {
    const monitor = await MetaRecorder.start(await openPeer('autobahn', cluster.url('b'), 'json'), ALL_META_EVENTS)
    const callees: Peer[] = []
    for (const name of ['a', 'b', 'c']) {
      const p = await openPeer(name === 'b' ? 'wampy' : 'autobahn', cluster.url(name), 'msgpack')
      await p.register('com.nats.work', () => ({ args: [name] }), { invoke: 'roundrobin' })
      callees.push(p)
    }
    const onlyC = await openPeer('autobahn', cluster.url('c'), 'json')
    await onlyC.register('com.nats.only_c', () => ({ args: ['c'] }))
    const caller = await openPeer('autobahn', cluster.url('a'), 'cbor')
    const ids = callees.map((p) => p.id).sort((x, y) => x - y)
    await eventually(async () => expect(await calleesOf(caller, 'com.nats.work')).toEqual(ids))
    await eventually(async () => expect(await calleesOf(caller, 'com.nats.only_c')).toEqual([onlyC.id]))
    const incarnations = Object.fromEntries((await clusterStatusAt(cluster.url('a'))).nodes.map((n) => [n.node, n.incarnation]))

    const subscriber = await openPeer('wampy', cluster.url('c'), 'cbor')
    await subscriber.subscribe('com.nats.topic', () => {})
    await eventually(async () => expect(await subscribersOf(caller, 'com.nats.topic')).toEqual([subscriber.id]))
    const load = callLoad(caller, 'com.nats.work')
    await waitUntil(() => ['a', 'b', 'c'].every((n) => load.answers.includes(n)), 'calls answered on every node')
    const logged = Object.fromEntries([...cluster.nodes.values()].map((n) => [n.name, n.stderr.length]))

    await cluster.nats.stop()
    for (const name of ['a', 'b', 'c'])
      await eventually(async () => expect((await clusterStatusAt(cluster.url(name))).nats?.state).toBe('reconnecting'))
    // NATS is away: a call to another node's callee fails at once with a clear error.
    const cut = await settlesWithin(failureOf(caller.call('com.nats.only_c', [])), 10_000, 'a call to a callee of c while NATS is away')
    expect(['wamp.error.no_available_callee', 'wamp.error.unavailable']).toContain(cut.uri)
    // Local calls go on: the load on a is answered by a's callee.
    const during = load.answers.length
    await waitUntil(() => load.answers.length >= during + 50, '50 answers while NATS is away', 20_000)
    expect(load.answers.slice(during).every((x) => x === 'a')).toBe(true)
    // Away longer than the node timeout (2 s): nodes that cannot hear each other must not declare each other dead.
    await eventually(async () => expect(byName(await clusterStatusAt(cluster.url('a'))).b!.last_seen_ms).toBeGreaterThan(3000), 20_000)

    await cluster.nats.restart()
    // Sessions join and leave on every node while JetStream is still coming back (their KV writes
    // may time out for a few seconds): the writes are retried, nothing is lost, nothing logged as an error.
    const churn = { joined: [] as Peer[], left: [] as number[] }
    for (const name of ['a', 'b', 'c']) {
      const stays = await openPeer('autobahn', cluster.url(name), 'json')
      const goes = await openPeer('wampy', cluster.url(name), 'msgpack')
      churn.joined.push(stays)
      churn.left.push(goes.id)
      await goes.leave()
    }
    for (const name of ['a', 'b', 'c']) {
      await eventually(async () => {
        const st = await clusterStatusAt(cluster.url(name))
        expect(st.nats?.state).toBe('connected')
        for (const n of st.nodes) {
          expect(n.state).toBe('alive')
          expect(n.incarnation).toBe(incarnations[n.node])
          expect(n.last_seen_ms).toBeLessThan(2000)
        }
      }, 20_000)
    }
    // Every live callee, subscriber and session is still there, everywhere (those of the churn too), and calls reach every node again.
    for (const name of ['a', 'b', 'c']) {
      const p = await openPeer('autobahn', cluster.url(name), 'json')
      await eventually(async () => expect(await calleesOf(p, 'com.nats.work')).toEqual(ids), 20_000)
      await eventually(async () => expect(await calleesOf(p, 'com.nats.only_c')).toEqual([onlyC.id]), 20_000)
      await eventually(async () => expect(await subscribersOf(p, 'com.nats.topic')).toEqual([subscriber.id]), 20_000)
      await eventually(async () => {
        const sessions = (await p.call(SessionMeta.list, [])).args[0] as number[]
        for (const q of [...callees, onlyC, caller, subscriber, ...churn.joined]) expect(sessions).toContain(q.id)
        for (const id of churn.left) expect(sessions).not.toContain(id)
      }, 20_000)
    }
    // Calls to c go again once a has heard c since it reconnected.
    await eventually(async () => expect((await caller.call('com.nats.only_c', [])).args[0]).toBe('c'), 20_000)
    const after = load.answers.length
    await waitUntil(() => ['b', 'c'].every((n) => load.answers.slice(after).includes(n)), 'calls to b and c after NATS is back', 20_000)
    await settlesWithin(load.stop(), 20_000, 'the load')
    for (const f of load.failures) expect(f).toBe('wamp.error.canceled')
    // KV writes that timed out while JetStream came back were warnings (retried), not internal errors.
    for (const n of cluster.nodes.values())
      expect(
        n.stderr
          .slice(logged[n.name])
          .split('\n')
          .filter((l) => /"level":"(error|fatal)"/.test(l)),
      ).toEqual([])
    // No live session left the realm on the way.
    for (const p of [...callees, onlyC, caller, subscriber])
      expect(monitor.of(SessionMeta.onLeave).filter((e) => e.args[0] === p.id)).toEqual([])
  }, 180_000)

  it('a node held up (SIGSTOP) past the node timeout is declared dead, then resumes: its sessions, callees and subscribers come back everywhere, its clients stay connected', async () => {
    const monitors = {
      a: await MetaRecorder.start(await openPeer('autobahn', cluster.url('a'), 'json'), ALL_META_EVENTS),
      b: await MetaRecorder.start(await openPeer('wampy', cluster.url('b'), 'msgpack'), ALL_META_EVENTS),
    }
    // c's callee registers first: once c is back it comes last (a callee put back is appended).
    const workC = await openPeer('autobahn', cluster.url('c'), 'msgpack')
    await workC.register('com.stop.work', () => ({ args: ['c'] }), { invoke: 'roundrobin' })
    const workA = await openPeer('autobahn', cluster.url('a'), 'json')
    await workA.register('com.stop.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    const workB = await openPeer('wampy', cluster.url('b'), 'cbor')
    await workB.register('com.stop.work', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const onlyC = await openPeer('wampy', cluster.url('c'), 'json')
    const onlyReg = await onlyC.register('com.stop.only_c', () => ({ args: ['only c'] }))
    const events: Record<string, unknown[]> = { subC: [], subPrefixC: [], subA: [] }
    const subC = await openPeer('autobahn', cluster.url('c'), 'json')
    await subC.subscribe('com.stop.topic', (e) => void events.subC!.push(e.args[0]))
    const subPrefixC = await openPeer('wampy', cluster.url('c'), 'msgpack')
    await subPrefixC.subscribe('com.stop', (e) => void events.subPrefixC!.push(e.args[0]), { match: 'prefix' })
    const subA = await openPeer('autobahn', cluster.url('a'), 'cbor')
    await subA.subscribe('com.stop.topic', (e) => void events.subA!.push(e.args[0]))
    const ofC = [workC, onlyC, subC, subPrefixC]
    const idsOfC = ofC.map((p) => p.id)
    const caller = await openPeer('autobahn', cluster.url('b'), 'json')
    const publisher = await openPeer('wampy', cluster.url('a'), 'json')
    const views = { a: monitors.a.monitor, b: monitors.b.monitor, c: await openPeer('autobahn', cluster.url('c'), 'cbor') }
    for (const view of Object.values(views)) {
      await eventually(async () => expect(await calleeOrder(view, 'com.stop.work')).toEqual([workC.id, workA.id, workB.id]))
      await eventually(async () => expect(await calleesOf(view, 'com.stop.only_c')).toEqual([onlyC.id]))
      await eventually(async () => expect(await subscribersOf(view, 'com.stop.topic')).toEqual([subC.id, subA.id].sort((x, y) => x - y)))
      await eventually(async () => expect(await subscribersOf(view, 'com.stop', 'prefix')).toEqual([subPrefixC.id]))
    }
    // A call made on c, held by a callee on b: b gives it up when it declares c dead, and so does c once it hears that.
    const holdB = await openPeer('autobahn', cluster.url('b'), 'msgpack')
    const { callee: held } = await HeldCallee.register(holdB, 'b', 'com.stop.hold', {})
    const callerC = await openPeer('wampy', cluster.url('c'), 'cbor')
    await eventually(async () => expect(await calleesOf(views.c, 'com.stop.hold')).toEqual([holdB.id]))
    // Until c routes to b's callee (right after the NATS restart above c may still refuse b as not yet heard again).
    const refusals: string[] = []
    const isHeld = (): boolean => held.holding === 1
    let heldCall: Promise<string> | undefined
    for (let i = 0; i < 200 && heldCall === undefined; i++) {
      const call = callerC.call('com.stop.hold', [i]).then(
        () => 'answered',
        (err: unknown) => asFailure(err).uri,
      )
      // Bounded: held on b, or refused at once (then called again).
      for (let k = 0; k < 200 && !isHeld(); k++) {
        const refused = await Promise.race([call, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))])
        if (refused !== undefined) {
          refusals.push(refused)
          break
        }
      }
      if (isHeld()) heldCall = call
    }
    expect(heldCall, `the call from c never held on b; refused: ${refusals.join(', ')}`).toBeDefined()
    const incarnation = byName(await clusterStatusAt(cluster.url('a'))).c!.incarnation
    const load = callLoad(caller, 'com.stop.work')
    await waitUntil(() => ['a', 'b', 'c'].every((n) => load.answers.includes(n)), 'calls answered on every node')

    process.kill(cluster.node('c').pid, 'SIGSTOP')
    try {
      // a and b declare c dead and remove its entries: wait for it (bounded), c still held.
      for (const m of Object.values(monitors)) {
        const left = (): number[] => m.of(SessionMeta.onLeave).map((e) => e.args[0] as number)
        await eventually(() => expect(left()).toEqual(expect.arrayContaining(idsOfC)), 20_000)
      }
      for (const name of ['a', 'b'] as const) {
        await eventually(async () => expect(byName(await clusterStatusAt(cluster.url(name))).c!.state).toBe('dead'), 20_000)
        await eventually(async () => expect(await calleeOrder(views[name], 'com.stop.work')).toEqual([workA.id, workB.id]), 20_000)
        await eventually(async () => expect(await calleesOf(views[name], 'com.stop.only_c')).toEqual([]), 20_000)
        await eventually(async () => expect(await subscribersOf(views[name], 'com.stop.topic')).toEqual([subA.id]), 20_000)
      }
      await eventually(async () => expect(await entriesOf(cluster.nats.url, 'c')).toEqual([]), 20_000)
    } finally {
      process.kill(cluster.node('c').pid, 'SIGCONT')
    }

    // c is back with the same life: everything of its live sessions is back on every node.
    for (const [name, view] of Object.entries(views)) {
      await eventually(async () => {
        const c = byName(await clusterStatusAt(cluster.url(name))).c!
        expect(c.state).toBe('alive')
        expect(c.incarnation).toBe(incarnation)
      }, 20_000)
      await eventually(async () => expect(await calleeOrder(view, 'com.stop.work')).toEqual([workA.id, workB.id, workC.id]), 20_000)
      await eventually(async () => expect(await calleesOf(view, 'com.stop.only_c')).toEqual([onlyC.id]), 20_000)
      expect((await view.call(RegistrationMeta.lookup, ['com.stop.only_c'])).args[0]).toBe(onlyReg)
      await eventually(
        async () => expect(await subscribersOf(view, 'com.stop.topic')).toEqual([subC.id, subA.id].sort((x, y) => x - y)),
        20_000,
      )
      await eventually(async () => expect(await subscribersOf(view, 'com.stop', 'prefix')).toEqual([subPrefixC.id]), 20_000)
      await eventually(async () => {
        const sessions = (await view.call(SessionMeta.list, [])).args[0] as number[]
        for (const id of idsOfC) expect(sessions).toContain(id)
      }, 20_000)
      for (const id of idsOfC) expect(((await view.call(SessionMeta.get, [id])).args[0] as { node: string }).node).toBe('c')
    }
    // Calls from b reach c's callees again, c's subscribers get a's publications.
    await eventually(async () => expect((await caller.call('com.stop.only_c', [])).args[0]).toBe('only c'), 20_000)
    const after = load.answers.length
    await waitUntil(() => load.answers.slice(after).includes('c'), 'calls from b answered by c again', 20_000)
    await settlesWithin(load.stop(), 20_000, 'the load')
    // Only the calls in flight to c when it was declared dead failed.
    for (const f of load.failures) expect(f).toBe('wamp.error.canceled')
    await eventually(async () => {
      await publisher.publish('com.stop.topic', ['back'])
      expect(events.subC).toContain('back')
      expect(events.subPrefixC).toContain('back')
    }, 20_000)
    // The call c's caller had in flight to b is answered (canceled), not left hanging.
    expect(await settlesWithin(heldCall!, 20_000, 'the call from c held on b')).toBe('wamp.error.canceled')
    held.answerAtOnce()
    // Its clients were never disconnected: each session answers, with the same id.
    for (const p of [...ofC, callerC]) expect(((await p.call(SessionMeta.get, [p.id])).args[0] as { session: number }).session).toBe(p.id)

    // Meta events: every node tells the same story, once each: c's sessions left (declared dead), then joined again.
    const marker = await openPeer('autobahn', cluster.url('c'), 'json')
    await marker.leave()
    for (const m of Object.values(monitors)) await m.waitForTopic(SessionMeta.onLeave, 0, marker.id)
    const story = storyOf(monitors.a, idsOfC)
    expect(storyOf(monitors.b, idsOfC)).toEqual(story)
    for (const id of idsOfC) {
      const ofSession = story.filter((e) => e.endsWith(` ${id}`) && /^on_(join|leave) /.test(e))
      expect(ofSession).toEqual([`on_join ${id}`, `on_leave ${id}`, `on_join ${id}`])
    }
    // As for a session that leaves: its callee and subscriber leave before it does, and come back after it joined again.
    const at = (e: string, from = 0): number => story.indexOf(e, from)
    expect(at(`on_unregister ${workC.id}`)).toBeLessThan(at(`on_leave ${workC.id}`))
    expect(at(`on_unsubscribe ${subC.id}`)).toBeLessThan(at(`on_leave ${subC.id}`))
    expect(story.lastIndexOf(`on_register ${workC.id}`)).toBeGreaterThan(at(`on_join ${workC.id}`, at(`on_leave ${workC.id}`)))
    expect(story.lastIndexOf(`on_subscribe ${subC.id}`)).toBeGreaterThan(at(`on_join ${subC.id}`, at(`on_leave ${subC.id}`)))
    // Registration and subscription events of each of c's sessions alternate and end registered/subscribed.
    for (const [id, on, off] of [
      [workC.id, 'on_register', 'on_unregister'],
      [onlyC.id, 'on_register', 'on_unregister'],
      [subC.id, 'on_subscribe', 'on_unsubscribe'],
      [subPrefixC.id, 'on_subscribe', 'on_unsubscribe'],
    ] as const) {
      const seq = story.filter((e) => e === `${on} ${id}` || e === `${off} ${id}`)
      expect(seq.length % 2).toBe(1)
      seq.forEach((e, i) => expect(e).toBe(i % 2 === 0 ? `${on} ${id}` : `${off} ${id}`))
    }
  }, 180_000)

  it('a node cut off from NATS alone (its TCP proxy to NATS killed) past the node timeout: declared dead by the others, then back with everything of its live sessions; its local calls go on meanwhile', async () => {
    const proxy = await TcpProxy.start(cluster.nats.port)
    try {
      await cluster.startNode('d', { natsUrl: proxy.url })
      const monitors = {
        a: await MetaRecorder.start(await openPeer('autobahn', cluster.url('a'), 'json'), ALL_META_EVENTS),
        b: await MetaRecorder.start(await openPeer('wampy', cluster.url('b'), 'msgpack'), ALL_META_EVENTS),
      }
      const workD = await openPeer('autobahn', cluster.url('d'), 'msgpack')
      await workD.register('com.cut.work', () => ({ args: ['d'] }), { invoke: 'roundrobin' })
      const workA = await openPeer('wampy', cluster.url('a'), 'json')
      await workA.register('com.cut.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
      const received: unknown[] = []
      const subD = await openPeer('wampy', cluster.url('d'), 'cbor')
      await subD.subscribe('com.cut.topic', (e) => void received.push(e.args[0]))
      const callerD = await openPeer('autobahn', cluster.url('d'), 'json')
      const ofD = [workD, subD, callerD]
      const idsOfD = ofD.map((p) => p.id)
      const views = { a: monitors.a.monitor, b: monitors.b.monitor, d: await openPeer('autobahn', cluster.url('d'), 'cbor') }
      for (const view of Object.values(views)) {
        await eventually(async () => expect(await calleeOrder(view, 'com.cut.work')).toEqual([workD.id, workA.id]))
        await eventually(async () => expect(await subscribersOf(view, 'com.cut.topic')).toEqual([subD.id]))
      }
      const incarnation = byName(await clusterStatusAt(cluster.url('a'))).d!.incarnation

      await proxy.cut()
      await eventually(async () => expect((await clusterStatusAt(cluster.url('d'))).nats?.state).toBe('reconnecting'), 20_000)
      for (const m of Object.values(monitors)) {
        const left = (): number[] => m.of(SessionMeta.onLeave).map((e) => e.args[0] as number)
        await eventually(() => expect(left()).toEqual(expect.arrayContaining(idsOfD)), 20_000)
      }
      for (const name of ['a', 'b'] as const) {
        await eventually(async () => expect(byName(await clusterStatusAt(cluster.url(name))).d!.state).toBe('dead'), 20_000)
        await eventually(async () => expect(await calleeOrder(views[name], 'com.cut.work')).toEqual([workA.id]), 20_000)
        await eventually(async () => expect(await subscribersOf(views[name], 'com.cut.topic')).toEqual([]), 20_000)
      }
      // d itself declared nobody dead (it could not hear anyone: its own outage), and its local calls go on.
      expect((await clusterStatusAt(cluster.url('d'))).nodes.every((n) => n.state === 'alive')).toBe(true)
      for (let i = 0; i < 5; i++) expect((await callerD.call('com.cut.work', [i])).args[0]).toBe('d')

      await proxy.restore()
      for (const [name, view] of Object.entries(views)) {
        await eventually(async () => {
          const st = await clusterStatusAt(cluster.url(name))
          expect(byName(st).d!.state).toBe('alive')
          expect(byName(st).d!.incarnation).toBe(incarnation)
        }, 20_000)
        await eventually(async () => expect(await calleeOrder(view, 'com.cut.work')).toEqual([workA.id, workD.id]), 20_000)
        await eventually(async () => expect(await subscribersOf(view, 'com.cut.topic')).toEqual([subD.id]), 20_000)
        await eventually(async () => {
          const sessions = (await view.call(SessionMeta.list, [])).args[0] as number[]
          for (const id of idsOfD) expect(sessions).toContain(id)
        }, 20_000)
      }
      // Calls from a reach d's callee again, publications from b reach d's subscriber.
      const callerA = await openPeer('autobahn', cluster.url('a'), 'json')
      await eventually(async () => {
        const answers = [(await callerA.call('com.cut.work', [1])).args[0], (await callerA.call('com.cut.work', [2])).args[0]]
        expect(answers.sort()).toEqual(['a', 'd'])
      }, 20_000)
      const publisher = await openPeer('autobahn', cluster.url('b'), 'json')
      await eventually(async () => {
        await publisher.publish('com.cut.topic', ['back'])
        expect(received).toContain('back')
      }, 20_000)
      // d's clients were never disconnected.
      for (const p of ofD) expect(((await p.call(SessionMeta.get, [p.id])).args[0] as { session: number }).session).toBe(p.id)
      const marker = await openPeer('autobahn', cluster.url('d'), 'json')
      await marker.leave()
      for (const m of Object.values(monitors)) await m.waitForTopic(SessionMeta.onLeave, 0, marker.id)
      const story = storyOf(monitors.a, idsOfD)
      expect(storyOf(monitors.b, idsOfD)).toEqual(story)
      for (const id of idsOfD) {
        const ofSession = story.filter((e) => e.endsWith(` ${id}`) && /^on_(join|leave) /.test(e))
        expect(ofSession).toEqual([`on_join ${id}`, `on_leave ${id}`, `on_join ${id}`])
      }

      // A clean stop: the others drop it at once (the tests after this one see a, b and c only).
      expect(await cluster.node('d').terminate()).toBe(0)
      cluster.nodes.delete('d')
      await eventually(async () => expect((await clusterStatusAt(cluster.url('a'))).nodes.map((n) => n.node)).not.toContain('d'), 20_000)
    } finally {
      await proxy.close()
    }
  }, 180_000)

  it('a node whose connection to NATS stalls (its TCP proxy held) past the node timeout: both sides take the other for dead; resumed, every live session, callee and subscriber is back on every node', async () => {
    const proxy = await TcpProxy.start(cluster.nats.port)
    try {
      await cluster.startNode('d', { natsUrl: proxy.url })
      const workD = await openPeer('autobahn', cluster.url('d'), 'msgpack')
      await workD.register('com.stall.work', () => ({ args: ['d'] }), { invoke: 'roundrobin' })
      const workA = await openPeer('wampy', cluster.url('a'), 'json')
      await workA.register('com.stall.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
      const received: unknown[] = []
      const subD = await openPeer('wampy', cluster.url('d'), 'cbor')
      await subD.subscribe('com.stall.topic', (e) => void received.push(e.args[0]))
      const subA = await openPeer('autobahn', cluster.url('a'), 'json')
      await subA.subscribe('com.stall.topic', () => {})
      const callerD = await openPeer('autobahn', cluster.url('d'), 'json')
      const both = [workA.id, workD.id].sort((x, y) => x - y)
      const views = {
        a: await openPeer('autobahn', cluster.url('a'), 'json'),
        b: await openPeer('wampy', cluster.url('b'), 'msgpack'),
        d: await openPeer('autobahn', cluster.url('d'), 'cbor'),
      }
      for (const view of Object.values(views)) {
        await eventually(async () => expect(await calleesOf(view, 'com.stall.work')).toEqual(both))
        await eventually(async () => expect(await subscribersOf(view, 'com.stall.topic')).toEqual([subD.id, subA.id].sort((x, y) => x - y)))
      }

      proxy.pause()
      try {
        for (const name of ['a', 'b'] as const) {
          await eventually(async () => expect(byName(await clusterStatusAt(cluster.url(name))).d!.state).toBe('dead'), 20_000)
          await eventually(async () => expect(await calleesOf(views[name], 'com.stall.work')).toEqual([workA.id]), 20_000)
        }
        // d hears nobody either, its link still up: it takes a, b and c for dead.
        await eventually(async () => expect(byName(await clusterStatusAt(cluster.url('d'))).a!.state).toBe('dead'), 20_000)
      } finally {
        proxy.resume()
      }

      for (const [name, view] of Object.entries(views)) {
        await eventually(async () => {
          const st = await clusterStatusAt(cluster.url(name))
          for (const n of st.nodes) expect(n.state, `${n.node} seen from ${name}`).toBe('alive')
        }, 30_000)
        await eventually(async () => expect(await calleesOf(view, 'com.stall.work')).toEqual(both), 30_000)
        await eventually(
          async () => expect(await subscribersOf(view, 'com.stall.topic')).toEqual([subD.id, subA.id].sort((x, y) => x - y)),
          30_000,
        )
        await eventually(async () => {
          const sessions = (await view.call(SessionMeta.list, [])).args[0] as number[]
          for (const p of [workA, workD, subA, subD, callerD]) expect(sessions).toContain(p.id)
        }, 30_000)
      }
      // Calls cross both ways again, publications reach d.
      const callerA = await openPeer('autobahn', cluster.url('a'), 'json')
      for (const caller of [callerA, callerD])
        await eventually(async () => {
          const answers = [(await caller.call('com.stall.work', [1])).args[0], (await caller.call('com.stall.work', [2])).args[0]]
          expect(answers.sort()).toEqual(['a', 'd'])
        }, 30_000)
      await eventually(async () => {
        await callerA.publish('com.stall.topic', ['back'])
        expect(received).toContain('back')
      }, 30_000)
      for (const p of [workD, subD, callerD])
        expect(((await p.call(SessionMeta.get, [p.id])).args[0] as { session: number }).session).toBe(p.id)

      expect(await cluster.node('d').terminate()).toBe(0)
      cluster.nodes.delete('d')
      await eventually(async () => expect((await clusterStatusAt(cluster.url('a'))).nodes.map((n) => n.node)).not.toContain('d'), 20_000)
    } finally {
      await proxy.close()
    }
  }, 240_000)

  it('SIGTERM: the node removes its sessions, callees and subscribers before it exits, and the others drop it at once', async () => {
    const monitor = await MetaRecorder.start(await openPeer('autobahn', cluster.url('a'), 'json'), ALL_META_EVENTS)
    const workA = await openPeer('autobahn', cluster.url('a'), 'json')
    await workA.register('com.term.work', () => ({ args: ['a'] }), { invoke: 'roundrobin' })
    const workB = await openPeer('wampy', cluster.url('b'), 'cbor')
    await workB.register('com.term.work', () => ({ args: ['b'] }), { invoke: 'roundrobin' })
    const subB = await openPeer('autobahn', cluster.url('b'), 'msgpack')
    await subB.subscribe('com.term.topic', () => {})
    await eventually(async () => expect(await calleesOf(monitor.monitor, 'com.term.work')).toHaveLength(2))
    await eventually(async () => {
      const keys = await entriesOf(cluster.nats.url, 'b')
      expect(keys.filter((k) => k.startsWith('ses.')).sort()).toEqual([`ses.${workB.id}`, `ses.${subB.id}`].sort())
      expect(keys.filter((k) => k.startsWith('reg.'))).toHaveLength(1)
      expect(keys.filter((k) => k.startsWith('sub.'))).toHaveLength(1)
    })

    expect(await cluster.node('b').terminate()).toBe(0)
    cluster.nodes.delete('b')
    // Removed by b itself before it exited (the others' cleanup would only start after the 2 s timeout).
    expect(await entriesOf(cluster.nats.url, 'b')).toEqual([])
    await monitor.waitFor((e) => e.topic === RegistrationMeta.onUnregister && e.args[0] === workB.id, "on_unregister of b's callee")
    await monitor.waitForTopic(SessionMeta.onLeave, 0, subB.id)
    expect(await calleesOf(monitor.monitor, 'com.term.work')).toEqual([workA.id])
    // Silent past the timeout, b would stay listed as dead: dropped, it said it left.
    await eventually(async () => {
      const st = await clusterStatusAt(cluster.url('a'))
      expect(st.nodes.map((n) => n.node)).toEqual(['a', 'c'])
    })
  }, 60_000)

  it('SIGTERM while NATS is down: the node exits at once (code 0); NATS back, the others see it silent past the timeout and drop its entries', async () => {
    const monitor = await MetaRecorder.start(await openPeer('autobahn', cluster.url('a'), 'json'), ALL_META_EVENTS)
    const workC = await openPeer('wampy', cluster.url('c'), 'msgpack')
    await workC.register('com.cut.work', () => ({ args: ['c'] }))
    const subC = await openPeer('autobahn', cluster.url('c'), 'cbor')
    await subC.subscribe('com.cut.topic', () => {})
    await eventually(async () => expect(await calleesOf(monitor.monitor, 'com.cut.work')).toEqual([workC.id]))
    await eventually(async () => expect(await subscribersOf(monitor.monitor, 'com.cut.topic')).toEqual([subC.id]))

    await cluster.nats.stop()
    await eventually(async () => expect((await clusterStatusAt(cluster.url('c'))).nats?.state).toBe('reconnecting'), 20_000)
    const c = cluster.node('c')
    // It cannot say it leaves nor remove its entries: it must not wait for NATS to exit.
    expect(await settlesWithin(c.terminate(), 15_000, 'the exit of node c with NATS down')).toBe(0)
    cluster.nodes.delete('c')
    expect(c.stderr).not.toMatch(/"level":"(error|fatal)"/)

    await cluster.nats.restart()
    // a gives c a fresh timeout after its own reconnection, then declares it dead and removes what it left.
    await eventually(async () => expect(byName(await clusterStatusAt(cluster.url('a'))).c?.state).toBe('dead'), 30_000)
    await monitor.waitForTopic(SessionMeta.onLeave, 0, workC.id)
    await monitor.waitForTopic(SessionMeta.onLeave, 0, subC.id)
    await eventually(async () => expect(await entriesOf(cluster.nats.url, 'c')).toEqual([]), 20_000)
    expect(await calleesOf(monitor.monitor, 'com.cut.work')).toEqual([])
    expect(await subscribersOf(monitor.monitor, 'com.cut.topic')).toEqual([])
  }, 120_000)

  it('SIGTERM while NATS is up but frozen (SIGSTOP): the node still exits promptly (code 0); NATS resumed, the others drop it', async () => {
    await cluster.startNode('c')
    const monitor = await MetaRecorder.start(await openPeer('autobahn', cluster.url('a'), 'json'), ALL_META_EVENTS)
    const workC = await openPeer('autobahn', cluster.url('c'), 'json')
    await workC.register('com.frozen.work', () => ({ args: ['c'] }))
    await eventually(async () => expect(await calleesOf(monitor.monitor, 'com.frozen.work')).toEqual([workC.id]))
    const nats = cluster.nats.pid!
    process.kill(nats, 'SIGSTOP')
    let code: number | null
    try {
      // Its last writes and its departure cannot land: bounded waits, then it exits.
      code = await settlesWithin(cluster.node('c').terminate(), 15_000, 'the exit of node c with NATS frozen')
    } finally {
      process.kill(nats, 'SIGCONT')
    }
    cluster.nodes.delete('c')
    expect(code).toBe(0)
    // Whether its last writes landed before the freeze or not, c's callee is gone everywhere once NATS answers again.
    await eventually(async () => expect(await calleesOf(monitor.monitor, 'com.frozen.work')).toEqual([]), 30_000)
    await eventually(async () => expect(await entriesOf(cluster.nats.url, 'c')).toEqual([]), 30_000)
    await monitor.waitForTopic(SessionMeta.onLeave, 0, workC.id)
  }, 120_000)
})
