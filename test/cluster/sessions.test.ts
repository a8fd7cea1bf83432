import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authRealm } from '../support/admin.js'
import { autobahnSession } from '../support/clients.js'
import { eventually, TestCluster } from '../support/cluster.js'
import { MetaRecorder, SESSION_EVENTS } from '../support/meta.js'
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
  let cluster: TestCluster

  beforeAll(async () => {
    cluster = await TestCluster.start([...NODES], { config: CONFIG })
  }, 90_000)

  afterAll(async () => {
    await cluster?.close()
  })

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
})
