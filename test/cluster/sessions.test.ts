import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { authRealm } from '../support/admin.js'
import { autobahnSession } from '../support/clients.js'
import { eventually, TestCluster } from '../support/cluster.js'
import { ALL_META_EVENTS, MetaRecorder, SESSION_EVENTS } from '../support/meta.js'
import { failureOf, openPeer, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'

/**
 * Sessions across nodes: the session meta API answers for the whole realm from any node, on_join /
 * on_leave of a session reach subscribers on every node once, kills reach sessions of other nodes.
 */

const NODES = ['a', 'b', 'c'] as const
/** anonymous sessions are admins here (they may kill); alice and bob authenticate with tickets. */
const CONFIG = {
  realms: [
    {
      ...authRealm(),
      roles: { anonymous: { admin: true }, admin: { admin: true }, worker: {} },
      auth: {
        anonymous: { role: 'anonymous' },
        ticket: { alice: { ticket: 'alice-ticket', role: 'worker' }, bob: { ticket: 'bob-ticket', role: 'worker' } },
      },
    },
  ],
}

const count = async (p: Peer, roles?: string[]): Promise<number> =>
  (await p.call('wamp.session.count', roles === undefined ? [] : [roles])).args[0] as number
const list = async (p: Peer, roles?: string[]): Promise<number[]> =>
  (await p.call('wamp.session.list', roles === undefined ? [] : [roles])).args[0] as number[]

/** A raw session authenticated with a ticket (so that several sessions share an authid). */
async function ticketPeer(url: string, authid: string): Promise<RawPeer> {
  const p = await RawPeer.open(url, 'msgpack')
  await p.hello('realm1', { authid, authmethods: ['ticket'] })
  p.send([5, `${authid}-ticket`, {}])
  const welcome = await p.nextOf(2)
  p.sessionId = welcome[1] as number
  return p
}

describe('cluster sessions: the session meta API for the whole realm', () => {
  const cluster = TestCluster.forFile([...NODES], { config: CONFIG })

  it('count, list and get from every node cover the sessions of every node, with their node', async () => {
    const peers = {
      a: await openPeer('autobahn', cluster.url('a'), 'json'),
      b: await openPeer('wampy', cluster.url('b'), 'msgpack'),
      c: await openPeer('autobahn', cluster.url('c'), 'cbor'),
    }
    const ids = Object.values(peers).map((p) => p.id)
    for (const name of NODES) {
      const p = peers[name]
      await eventually(async () => expect(new Set(await list(p))).toEqual(new Set(ids)), 10_000)
      expect(await count(p)).toBe(3)
      expect(await count(p, ['anonymous'])).toBe(3)
      expect(await list(p, ['worker'])).toEqual([])
      for (const owner of NODES) {
        const d = (await p.call('wamp.session.get', [peers[owner].id])).args[0] as Record<string, unknown>
        expect(d).toMatchObject({ session: peers[owner].id, authrole: 'anonymous', authmethod: 'anonymous', node: owner })
        expect(d.transport).toMatchObject({ type: 'websocket' })
      }
      expect((await failureOf(p.call('wamp.session.get', [987654321]))).uri).toBe('wamp.error.no_such_session')
    }
    await peers.b.leave()
    for (const name of ['a', 'c'] as const) {
      await eventually(async () => expect(new Set(await list(peers[name]))).toEqual(new Set([peers.a.id, peers.c.id])), 10_000)
      expect((await failureOf(peers[name].call('wamp.session.get', [peers.b.id]))).uri).toBe('wamp.error.no_such_session')
    }
  })

  it('on_join and on_leave of a session on b reach subscribers on a and c once each', async () => {
    const a = await MetaRecorder.start(await openPeer('autobahn', cluster.url('a')), SESSION_EVENTS)
    const c = await MetaRecorder.start(await openPeer('wampy', cluster.url('c'), 'cbor'), SESSION_EVENTS)
    const joiner = await ticketPeer(cluster.url('b'), 'alice')
    for (const r of [a, c]) {
      const join = await r.waitFor(
        (e) => e.topic === 'wamp.session.on_join' && (e.args[0] as { session: number }).session === joiner.sessionId,
        'on_join',
      )
      expect(join.args[0]).toMatchObject({
        session: joiner.sessionId,
        authid: 'alice',
        authrole: 'worker',
        authmethod: 'ticket',
        node: 'b',
      })
    }
    joiner.send([6, {}, 'wamp.close.normal'])
    expect(await joiner.nextOf(6)).toEqual([6, {}, 'wamp.close.goodbye_and_out'])
    for (const r of [a, c]) {
      const leave = await r.waitForTopic('wamp.session.on_leave', 0, joiner.sessionId)
      expect(leave.args).toEqual([joiner.sessionId, 'alice', 'worker'])
    }
    // Once each: a later event on the same path proves the earlier ones are all in.
    const marker = await autobahnSession(cluster.url('b'))
    for (const r of [a, c]) {
      await r.waitFor(
        (e) => e.topic === 'wamp.session.on_join' && (e.args[0] as { session: number }).session === marker.id,
        'marker on_join',
      )
      const mine = r.events.filter((e) =>
        e.topic === 'wamp.session.on_join'
          ? (e.args[0] as { session: number }).session === joiner.sessionId
          : e.args[0] === joiner.sessionId,
      )
      expect(mine.map((e) => e.topic)).toEqual(['wamp.session.on_join', 'wamp.session.on_leave'])
    }
  })

  it("a session on b that leaves: a and c hear its registration's and subscription's meta events before its on_leave", async () => {
    const recorders = await Promise.all(
      ['a', 'c'].map(async (n) => MetaRecorder.start(await openPeer('autobahn', cluster.url(n)), ALL_META_EVENTS)),
    )
    const leaver = await openPeer('wampy', cluster.url('b'), 'msgpack')
    await leaver.register('com.example.leaver.proc', () => ({ args: [1] }))
    await leaver.subscribe('com.example.leaver.topic', () => {})
    for (const r of recorders) await r.waitForTopic('wamp.subscription.on_subscribe', 0, leaver.id)
    await leaver.leave()
    for (const r of recorders) {
      for (const topic of ['wamp.registration.on_unregister', 'wamp.subscription.on_unsubscribe', 'wamp.session.on_leave'])
        await r.waitForTopic(topic, 0, leaver.id)
      const mine = r.events.filter((e) => e.args[0] === leaver.id).map((e) => e.topic)
      expect(mine.indexOf('wamp.session.on_leave')).toBeGreaterThan(mine.indexOf('wamp.registration.on_unregister'))
      expect(mine.indexOf('wamp.session.on_leave')).toBeGreaterThan(mine.indexOf('wamp.subscription.on_unsubscribe'))
    }
  })

  it('kill from a closes a session on b (GOODBYE with the reason and message, on_leave on a); unknown or own ids are no_such_session', async () => {
    const admin = await openPeer('autobahn', cluster.url('a'))
    const meta = await MetaRecorder.start(await openPeer('wampy', cluster.url('a')), ['wamp.session.on_leave'])
    const victim = await RawPeer.joined(cluster.url('b'), 'cbor')
    await eventually(async () => expect(await list(admin)).toContain(victim.sessionId))
    await admin.call('wamp.session.kill', [victim.sessionId], { reason: 'com.example.evicted', message: 'make room' })
    expect(await victim.nextOf(6)).toEqual([6, { message: 'make room' }, 'com.example.evicted'])
    victim.send([6, {}, 'wamp.close.goodbye_and_out'])
    expect((await meta.waitForTopic('wamp.session.on_leave', 0, victim.sessionId)).args).toEqual([
      victim.sessionId,
      expect.any(String),
      'anonymous',
    ])
    for (const name of NODES) {
      const p = name === 'a' ? admin : await openPeer('autobahn', cluster.url(name))
      await eventually(async () => expect(await list(p)).not.toContain(victim.sessionId))
      expect((await failureOf(p.call('wamp.session.kill', [victim.sessionId]))).uri).toBe('wamp.error.no_such_session')
      expect((await failureOf(p.call('wamp.session.kill', [p.id]))).uri).toBe('wamp.error.no_such_session')
      expect((await failureOf(p.call('wamp.session.kill', [987654321]))).uri).toBe('wamp.error.no_such_session')
    }
  })

  it('kill_by_authid from a returns the killed ids on b and c; kill_by_authrole returns their count', async () => {
    const admin = await openPeer('wampy', cluster.url('a'), 'msgpack')
    const alices = [await ticketPeer(cluster.url('b'), 'alice'), await ticketPeer(cluster.url('c'), 'alice')]
    const bob = await ticketPeer(cluster.url('c'), 'bob')
    const all = [...alices, bob].map((p) => p.sessionId)
    await eventually(async () => expect(await list(admin, ['worker'])).toEqual(expect.arrayContaining(all)))
    const killed = (await admin.call('wamp.session.kill_by_authid', ['alice'])).args[0] as number[]
    expect(new Set(killed)).toEqual(new Set(alices.map((p) => p.sessionId)))
    for (const p of alices) expect(await p.nextOf(6)).toEqual([6, {}, 'wamp.close.normal'])
    await eventually(async () => expect(new Set(await list(admin, ['worker']))).toEqual(new Set([bob.sessionId])))
    expect((await admin.call('wamp.session.kill_by_authid', ['alice'])).args[0]).toEqual([])

    const worker = await ticketPeer(cluster.url('b'), 'alice')
    await eventually(async () => expect(await list(admin, ['worker'])).toContain(worker.sessionId))
    expect((await admin.call('wamp.session.kill_by_authrole', ['worker'], { reason: 'wamp.close.killed' })).args[0]).toBe(2)
    for (const p of [bob, worker]) expect(await p.nextOf(6)).toEqual([6, {}, 'wamp.close.killed'])
    await eventually(async () => expect(await count(admin, ['worker'])).toBe(0))
    expect((await admin.call('wamp.session.kill_by_authrole', ['worker'])).args[0]).toBe(0)
  })

  it("a context written by node d's router start works against node a: sessions list shows every node's sessions with NODE", async () => {
    await cluster.startNode('d', { config: CONFIG, context: true })
    const contexts = JSON.parse(readFileSync(join(cluster.dir, 'contexts.json'), 'utf8')) as {
      current: string
      contexts: Record<string, { url: string; authid?: string }>
    }
    const ctx = contexts.contexts[contexts.current]!
    expect(ctx.url).toBe(cluster.url('d'))
    expect(ctx.authid).toBe('wampctl-admin')
    const onB = await openPeer('wampy', cluster.url('b'))
    const onC = await openPeer('autobahn', cluster.url('c'))
    const onD = await openPeer('autobahn', cluster.url('d'))
    const a = await openPeer('autobahn', cluster.url('a'))
    await eventually(async () => expect(await list(a)).toEqual(expect.arrayContaining([onB.id, onC.id, onD.id])))
    const env = { WAMPCTL_CONFIG_DIR: cluster.dir }
    const json = await runCli(['sessions', 'list', '--url', cluster.url('a'), '--json'], { env })
    expect(json.stderr).toBe('')
    expect(json.code).toBe(0)
    const rows = JSON.parse(json.stdout) as Array<{ session: number; authid: string; node?: string }>
    const nodeOf = new Map(rows.map((r) => [r.session, r.node]))
    expect([nodeOf.get(onB.id), nodeOf.get(onC.id), nodeOf.get(onD.id), nodeOf.get(a.id)]).toEqual(['b', 'c', 'd', 'a'])
    const human = await runCli(['sessions', 'list', '--url', cluster.url('a')], { env })
    expect(human.code).toBe(0)
    const lines = human.stdout.split('\n')
    expect(lines[0]).toMatch(/\bNODE\b/)
    for (const [id, node] of [
      [onB.id, 'b'],
      [onC.id, 'c'],
      [onD.id, 'd'],
    ] as const) {
      expect(lines.find((l) => l.trimStart().startsWith(`${id} `))).toMatch(new RegExp(`\\s${node}(\\s|$)`))
    }
    // The same context closes a session of node c through node a.
    const victim = await RawPeer.joined(cluster.url('c'), 'cbor')
    await eventually(async () => expect(await list(a)).toContain(victim.sessionId))
    const kill = await runCli(
      ['sessions', 'kill', String(victim.sessionId), '--url', cluster.url('a'), '--reason', 'wamp.close.killed', '--yes'],
      {
        env,
      },
    )
    expect(kill.stderr).toBe('')
    expect(kill.code).toBe(0)
    expect(await victim.nextOf(6)).toEqual([6, {}, 'wamp.close.killed'])
  })

  it('kill_all from a closes the sessions of every node but the caller, answers their count and publishes no meta events', async () => {
    const caller = await openPeer('autobahn', cluster.url('a'))
    const heard = await MetaRecorder.start(caller, SESSION_EVENTS)
    const victims = [
      await RawPeer.joined(cluster.url('a')),
      await RawPeer.joined(cluster.url('b'), 'msgpack'),
      await RawPeer.joined(cluster.url('c'), 'cbor'),
      await RawPeer.joined(cluster.url('d')),
    ]
    const mine = [caller.id, ...victims.map((v) => v.sessionId)]
    // Sessions of earlier tests are gone first (their departures are asynchronous), so the count is exact.
    await eventually(async () => expect(new Set(await list(caller))).toEqual(new Set(mine)))
    const joinsHeard = heard.events.length
    expect((await caller.call('wamp.session.kill_all', [], { reason: 'wamp.close.system_shutdown' })).args[0]).toBe(victims.length)
    for (const v of victims) expect(await v.nextOf(6)).toEqual([6, {}, 'wamp.close.system_shutdown'])
    const gone = new Set(victims.map((v) => v.sessionId))
    for (const name of ['a', 'b', 'c', 'd']) {
      const p = name === 'a' ? caller : await openPeer('wampy', cluster.url(name))
      await eventually(async () => expect((await list(p)).filter((id) => gone.has(id))).toEqual([]))
    }
    expect(await list(caller)).toEqual(expect.arrayContaining([caller.id]))
    // Every deletion has been applied on a (its list says so) and would have published there first.
    expect(heard.events.slice(joinsHeard).filter((e) => e.topic === 'wamp.session.on_leave')).toEqual([])
  })

  it('NATS away and back: a session that left meanwhile disappears everywhere, one that joined meanwhile appears, the others stay', async () => {
    const stays = await openPeer('autobahn', cluster.url('b'))
    const leaves = await RawPeer.joined(cluster.url('c'))
    const watchers = await Promise.all(NODES.map((n) => openPeer('autobahn', cluster.url(n))))
    for (const w of watchers)
      await eventually(async () => expect(await list(w)).toEqual(expect.arrayContaining([stays.id, leaves.sessionId])))
    await cluster.nats.stop()
    leaves.send([6, {}, 'wamp.close.normal'])
    expect(await leaves.nextOf(6)).toEqual([6, {}, 'wamp.close.goodbye_and_out'])
    // WELCOME never waits on NATS.
    const joins = await openPeer('wampy', cluster.url('a'), 'cbor')
    await cluster.nats.restart()
    for (const w of watchers) {
      await eventually(async () => {
        const ids = await list(w)
        expect(ids).toEqual(expect.arrayContaining([stays.id, joins.id]))
        expect(ids).not.toContain(leaves.sessionId)
      }, 20_000)
    }
  })

  it('a node killed (kill -9): its sessions leave every list with on_leave once on each survivor; a new life of it lists only its new sessions', async () => {
    const recorders = await Promise.all(
      ['a', 'c'].map(async (n) => MetaRecorder.start(await openPeer('autobahn', cluster.url(n)), SESSION_EVENTS)),
    )
    const doomed = [await RawPeer.joined(cluster.url('b')), await ticketPeer(cluster.url('b'), 'bob')]
    for (const r of recorders)
      for (const d of doomed)
        await r.waitFor((e) => e.topic === 'wamp.session.on_join' && (e.args[0] as { session: number }).session === d.sessionId, 'on_join')
    await cluster.node('b').kill9()
    for (const r of recorders) {
      for (const d of doomed) await eventually(() => r.waitForTopic('wamp.session.on_leave', 0, d.sessionId), 20_000)
      await eventually(
        async () => expect((await list(r.monitor)).filter((id) => doomed.some((d) => d.sessionId === id))).toEqual([]),
        20_000,
      )
    }
    await cluster.startNode('b', { config: CONFIG })
    const reborn = await openPeer('wampy', cluster.url('b'))
    for (const r of recorders) {
      await eventually(async () => expect(await list(r.monitor)).toContain(reborn.id), 20_000)
      expect((await r.monitor.call('wamp.session.get', [reborn.id])).args[0]).toMatchObject({ node: 'b' })
      for (const d of doomed)
        expect(r.events.filter((e) => e.topic === 'wamp.session.on_leave' && e.args[0] === d.sessionId)).toHaveLength(1)
    }
  })
})
