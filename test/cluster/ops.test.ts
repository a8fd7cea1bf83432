import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { MetaClient } from '../../src/client/meta-client.js'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { followRollout } from '../../src/ops/rollout/index.js'
import type { ClusterStatus } from '../../src/protocol/cluster.js'
import {
  ExtensionUri,
  type CalleeStateEvent,
  type DrainProgress,
  type RouterSnapshot,
  type StatsTick,
} from '../../src/protocol/extensions.js'
import { connFlags, runCli, tempConfigDir } from '../support/cli.js'
import { TmuxScreen, wampctlArgv } from '../ui/tmux.js'
import { eventually, tally, TestCluster } from '../support/cluster.js'
import { tableRows } from '../commands/read-fixtures.js'
import { canarySpec, startCallee, startLoad, until, type TestCallee } from '../ops/rollout-fixture.js'

/**
 * The operations extensions across a cluster of 3 nodes (a real nats-server, 3 `router start`
 * processes): snapshot and describe from any node, cordon/uncordon/set_weight and drain of a
 * callee of another node, the stats ticks of the whole realm, a canary on another node than the
 * old callees, and the CLI (cluster status, registrations show) against a node. Every callee
 * answers its own node's name, so a caller sees where its call went.
 */

const NODES = ['a', 'b', 'c'] as const
type NodeName = (typeof NODES)[number]

const cluster = TestCluster.forFile([...NODES])
const clients: WampClient[] = []

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

async function client(node: NodeName): Promise<WampClient> {
  const c = await WampClient.connect({ url: cluster.url(node), realm: 'realm1' })
  clients.push(c)
  return c
}

async function meta(node: NodeName): Promise<MetaClient> {
  return new MetaClient(await client(node))
}

async function snapshotOf(node: NodeName): Promise<RouterSnapshot> {
  return (await (await client(node)).call(ExtensionUri.snapshot)).args[0] as RouterSnapshot
}

/** One callee of `uri` (roundrobin) on each node, answering its node's name; the sessions by node. */
async function calleesOnEveryNode(uri: string): Promise<Record<NodeName, number>> {
  const out = {} as Record<NodeName, number>
  for (const n of NODES) {
    const c = await client(n)
    await c.register(uri, () => n, { invoke: 'roundrobin' })
    out[n] = c.sessionId
  }
  // every node's replica has all three
  for (const n of NODES) {
    const m = await meta(n)
    await eventually(async () => expect((await m.describe(await m.resolveRegistration(uri))).callees).toHaveLength(3))
  }
  return out
}

/** `count` calls of `uri` from `node`; the answers (node names) counted. */
async function callFrom(node: NodeName, uri: string, count: number): Promise<Record<string, number>> {
  const c = await client(node)
  return tally(count, async () => (await c.call(uri)).args[0])
}

describe('snapshot and describe across nodes', () => {
  it('from each node list every callee with its node and the statistics its own node keeps', async () => {
    const uri = 'com.ops.snap'
    const sessions = await calleesOnEveryNode(uri)
    // 9 calls from a: roundrobin over the three nodes, 3 each
    expect(await callFrom('a', uri, 9)).toEqual({ a: 3, b: 3, c: 3 })
    for (const n of NODES) {
      const snap = await snapshotOf(n)
      expect(snap.missing_nodes).toBeUndefined()
      const reg = snap.registrations.find((r) => r.uri === uri)!
      expect(reg.callees.map((c) => [c.session, c.node])).toEqual(NODES.map((x) => [sessions[x], x]))
      // each callee's node counted its 3 calls, whoever asks
      expect(reg.callees.map((c) => c.calls)).toEqual([3, 3, 3])
      expect(reg.callees.every((c) => c.state === 'active' && c.weight === 1 && c.inflight === 0)).toBe(true)
      const m = await meta(n)
      const described = await m.describe(reg.id)
      expect(described.callees.map((c) => [c.session, c.node, c.calls])).toEqual(NODES.map((x) => [sessions[x], x, 3]))
    }
  })
})

describe('cordon, uncordon and set_weight of a callee of another node', () => {
  it('take effect on every node: calls from each node follow them', async () => {
    const uri = 'com.ops.cordon'
    const sessions = await calleesOnEveryNode(uri)
    const ops = await meta('a')
    const regId = await ops.resolveRegistration(uri)
    // wampctl.callee.on_state on every node, for this registration
    const events: Record<NodeName, CalleeStateEvent[]> = { a: [], b: [], c: [] }
    for (const n of NODES) {
      await (
        await client(n)
      ).subscribe(ExtensionUri.onState, (args) => {
        const e = args[0] as CalleeStateEvent
        if (e.registration === regId) events[n].push(e)
      })
    }

    // cordon c's callee from node a: no node routes to it any more
    await ops.cordon(sessions.c, regId)
    for (const n of NODES) {
      const m = await meta(n)
      await eventually(async () => expect((await m.describe(regId)).callees.find((c) => c.session === sessions.c)?.state).toBe('cordoned'))
    }
    for (const n of NODES) expect(await callFrom(n, uri, 6)).toEqual({ a: 3, b: 3 })

    // uncordon from node b: c serves again everywhere
    await (await meta('b')).uncordon(sessions.c, regId)
    for (const n of NODES) {
      const m = await meta(n)
      await eventually(async () => expect((await m.describe(regId)).callees.find((c) => c.session === sessions.c)?.state).toBe('active'))
    }
    for (const n of NODES) expect(await callFrom(n, uri, 9)).toEqual({ a: 3, b: 3, c: 3 })

    // weight 0 on b's callee from node c: nobody routes to b
    await (await meta('c')).setWeight(regId, sessions.b, 0)
    for (const n of NODES) {
      const m = await meta(n)
      await eventually(async () => expect((await m.describe(regId)).callees.find((c) => c.session === sessions.b)?.weight).toBe(0))
    }
    for (const n of NODES) expect(await callFrom(n, uri, 6)).toEqual({ a: 3, c: 3 })
    await (await meta('c')).setWeight(regId, sessions.b, 1)
    for (const n of NODES) {
      const m = await meta(n)
      await eventually(async () => expect((await m.describe(regId)).callees.find((c) => c.session === sessions.b)?.weight).toBe(1))
    }
    // each node published each change once, in the same order, with its cause
    const expected = [
      [sessions.c, 'cordoned', 1, 'cordon'],
      [sessions.c, 'active', 1, 'uncordon'],
      [sessions.b, 'active', 0, 'set_weight'],
      [sessions.b, 'active', 1, 'set_weight'],
    ]
    for (const n of NODES) {
      await eventually(() => expect(events[n]).toHaveLength(4))
      expect(events[n].map((e) => [e.session, e.state, e.weight, e.cause])).toEqual(expected)
    }
  })
})

describe('wampctl.stats.on_tick covers the whole realm', () => {
  it('a subscriber on one node gets the ticks of the callees of every node', async () => {
    const uri = 'com.ops.tick'
    const sessions = await calleesOnEveryNode(uri)
    const sub = await client('b')
    const seen = new Set<number>()
    await sub.subscribe(ExtensionUri.onTick, (args) => {
      for (const t of (args[0] as StatsTick).callees) seen.add(t[1])
    })
    const c = await client('a')
    // calls keep going until every callee (on a, b and c) showed up in b's ticks
    await until(
      async () => {
        for (let i = 0; i < 3; i++) await c.call(uri)
        return NODES.every((n) => seen.has(sessions[n]))
      },
      'ticks on node b naming the callees of all three nodes',
      30_000,
    )
  })
})

describe('drain of a callee of another node', () => {
  it('under load from callers on every node: the callee leaves with zero failed calls', async () => {
    const uri = 'com.ops.drain'
    const callees: Record<NodeName, TestCallee> = {
      a: await startCallee(cluster.url('a'), 'autobahn', 'old', { uri, delayMs: 5 }),
      b: await startCallee(cluster.url('b'), 'wampy', 'old', { uri, delayMs: 5 }),
      c: await startCallee(cluster.url('c'), 'autobahn', 'old', { uri, delayMs: 5 }),
    }
    const m = await meta('a')
    await eventually(async () => expect((await m.describe(await m.resolveRegistration(uri))).callees).toHaveLength(3))
    const loads = await Promise.all(NODES.map((n) => startLoad(cluster.url(n), { uri, workers: 3 })))
    await Promise.all(loads.map((l) => l.answered(30)))
    const before = callees.c.invocations
    expect(before).toBeGreaterThan(0)

    // from node a, drain the callee on node c (then unregister): its node runs the drain
    const progress: DrainProgress[] = []
    const result = await m.drain(callees.c.session, undefined, { timeout_ms: 20_000, then: 'unregister' }, (p) => progress.push(p))
    expect(result).toMatchObject({ session: callees.c.session, drained: true, inflight: 0, outcome: 'unregistered' })
    // node c's progress reports reached the caller on node a as they happened: the count falls to 0
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.every((p) => p.session === callees.c.session)).toBe(true)
    expect(progress.at(-1)!.inflight).toBe(0)
    await Promise.all(loads.map((l) => l.answered(30)))
    const reports = await Promise.all(loads.map((l) => l.stop()))
    for (const r of reports) expect(r.failed, JSON.stringify(r.failures)).toBe(0)
    for (const n of NODES) {
      const mm = await meta(n)
      await eventually(async () =>
        expect((await mm.describe(await mm.resolveRegistration(uri))).callees.map((c) => c.session).sort()).toEqual(
          [callees.a.session, callees.b.session].sort(),
        ),
      )
    }
    console.log(`[cluster drain] calls ${reports.map((r) => r.calls).join('+')} failed ${reports.map((r) => r.failed).join('+')}`)
  }, 90_000)
})

describe('a canary rollout with the canary on another node', () => {
  it('promotes a canary on node c over old callees on a and b, run from node a with the load on b and c: zero failed calls', async () => {
    const uri = 'com.ops.canary'
    const old = [
      await startCallee(cluster.url('a'), 'autobahn', 'old', { uri }),
      await startCallee(cluster.url('b'), 'wampy', 'old', { uri }),
    ]
    const canary = await startCallee(cluster.url('c'), 'autobahn', 'new', { uri, authid: 'svc-v2', weight: 0 })
    const m = await meta('a')
    await eventually(async () => expect((await m.describe(await m.resolveRegistration(uri))).callees).toHaveLength(3))
    // No load through node a, which runs the rollout: its checks see the calls routed by b and c
    // (each callee's statistics from its own node), so the canary passes them.
    const loads = await Promise.all(['b', 'c'].map((n) => startLoad(cluster.url(n as NodeName), { uri, workers: 3 })))
    await Promise.all(loads.map((l) => l.answered(30)))
    const rc = new RolloutClient(await client('a'))
    const final = await followRollout(rc, { spec: canarySpec({ uri, canary: { session: canary.session } }) })
    const reports = await Promise.all(loads.map((l) => l.stop()))

    expect(final.outcome).toBe('promoted')
    // every check counted canary calls, though none was routed by node a
    expect(final.steps.map((st) => (st.share ?? 0) > 0)).toEqual([true, true, true])
    expect(final.retired.sort()).toEqual(old.map((c) => c.session).sort())
    for (const r of reports) expect(r.failed, JSON.stringify(r.failures)).toBe(0)
    expect(canary.invocations).toBeGreaterThan(0)
    for (const n of NODES) {
      const mm = await meta(n)
      await eventually(async () =>
        expect((await mm.describe(await mm.resolveRegistration(uri))).callees.map((c) => [c.session, c.weight])).toEqual([
          [canary.session, 1],
        ]),
      )
    }
  }, 120_000)
})

describe('the CLI against a node', () => {
  it('cluster status (human and --json) against node b lists every node', async () => {
    const [human, json] = await Promise.all([
      runCli(['cluster', 'status', ...connFlags(cluster.url('b'))]),
      runCli(['cluster', 'status', '--json', ...connFlags(cluster.url('b'))]),
    ])
    expect(json.code, json.stderr).toBe(0)
    const status = JSON.parse(json.stdout) as ClusterStatus
    expect(status.node).toBe('b')
    expect(status.nodes.map((n) => [n.node, n.state, n.self])).toEqual([
      ['a', 'alive', false],
      ['b', 'alive', true],
      ['c', 'alive', false],
    ])
    expect(human.code, human.stderr).toBe(0)
    const rows = tableRows(human.stdout)
    expect(rows[0]![0]).toMatch(/^cluster \S+: 3 of 3 nodes alive; answered by node b/)
    expect(rows[1]).toEqual(['NODE', 'STATE', 'SESSIONS', 'CALLS/S', 'NATS', 'LAST SEEN', 'STARTED', 'CONFIG', 'URL'])
    expect(rows.slice(2).map((r) => [r[0], r[1]])).toEqual([
      ['a', 'alive'],
      ['b *', 'alive'],
      ['c', 'alive'],
    ])
  })

  it('registrations show has a NODE column naming each callee’s node', async () => {
    const uri = 'com.ops.show'
    const sessions = await calleesOnEveryNode(uri)
    const r = await runCli(['registrations', 'show', uri, ...connFlags(cluster.url('c'))])
    expect(r.code, r.stderr).toBe(0)
    const rows = tableRows(r.stdout)
    const header = rows.findIndex((row) => row[0] === 'SESSION')
    expect(rows[header]!.slice(0, 3)).toEqual(['SESSION', 'NODE', 'AUTHID'])
    expect(rows.slice(header + 1).map((row) => [Number(row[0]), row[1]])).toEqual(NODES.map((n) => [sessions[n], n]))
    const json = await runCli(['registrations', 'show', uri, '--json', ...connFlags(cluster.url('a'))])
    const detail = JSON.parse(json.stdout) as { callees: Array<{ session: number; node: string }> }
    expect(detail.callees.map((c) => [c.session, c.node])).toEqual(NODES.map((n) => [sessions[n], n]))
  })

  it('top --json, registrations list and sessions list against nodes b and c show the callees and sessions of every node with their node', async () => {
    const uri = 'com.ops.top'
    const sessions = await calleesOnEveryNode(uri)
    expect(await callFrom('a', uri, 9)).toEqual({ a: 3, b: 3, c: 3 })
    const top = await runCli(['top', '--json', '--count', '2', '--interval', '300', ...connFlags(cluster.url('b'))])
    expect(top.code, top.stderr).toBe(0)
    const last = JSON.parse(top.stdout.trim().split('\n').pop()!) as {
      registrations: Array<{ uri: string; calls_total: number; callees: Array<{ session: number; node?: string; calls_total: number }> }>
    }
    const reg = last.registrations.find((r) => r.uri === uri)!
    expect(reg.callees.map((c) => [c.session, c.node, c.calls_total])).toEqual(NODES.map((n) => [sessions[n], n, 3]))
    expect(reg.calls_total).toBe(9)
    const list = await runCli(['registrations', 'list', '--json', ...connFlags(cluster.url('c'))])
    expect(list.code, list.stderr).toBe(0)
    const row = (JSON.parse(list.stdout) as Array<{ uri: string; callees: number; calls_total: number; taking_calls: number }>).find(
      (r) => r.uri === uri,
    )
    expect(row).toMatchObject({ callees: 3, taking_calls: 3, calls_total: 9 })

    const sessionList = await runCli(['sessions', 'list', '--json', ...connFlags(cluster.url('b'))])
    expect(sessionList.code, sessionList.stderr).toBe(0)
    const rows = JSON.parse(sessionList.stdout) as Array<{ session: number; node?: string }>
    for (const n of NODES) expect(rows.find((r) => r.session === sessions[n])?.node).toBe(n)
    const human = await runCli(['sessions', 'list', ...connFlags(cluster.url('b'))])
    expect(tableRows(human.stdout)[0]!.slice(0, 2)).toEqual(['SESSION', 'NODE'])
  })

  it('cordon, uncordon and drain from a CLI on node a act on a callee of node c', async () => {
    const uri = 'com.ops.cli'
    const sessions = await calleesOnEveryNode(uri)
    const flags = connFlags(cluster.url('a'))
    const cordon = await runCli(['cordon', String(sessions.c), '--uri', uri, '--json', ...flags])
    expect(cordon.code, cordon.stderr).toBe(0)
    expect(JSON.parse(cordon.stdout)).toMatchObject({ session: sessions.c, state: 'cordoned' })
    // node b routes by it too
    const mb = await meta('b')
    const regId = await mb.resolveRegistration(uri)
    await eventually(async () => expect((await mb.describe(regId)).callees.find((c) => c.session === sessions.c)?.state).toBe('cordoned'))
    expect(await callFrom('b', uri, 4)).toEqual({ a: 2, b: 2 })
    const uncordon = await runCli(['uncordon', String(sessions.c), '--uri', uri, ...flags])
    expect(uncordon.code, uncordon.stderr).toBe(0)
    await eventually(async () => expect((await mb.describe(regId)).callees.find((c) => c.session === sessions.c)?.state).toBe('active'))

    const drain = await runCli(['drain', String(sessions.c), '--uri', uri, '--then', 'unregister', '--yes', '--json', ...flags], {
      timeoutMs: 30_000,
    })
    expect(drain.code, drain.stderr).toBe(0)
    const report = JSON.parse(drain.stdout) as { result: unknown; inflight_at_start: number | null }
    expect(report.result).toMatchObject({ session: sessions.c, drained: true, outcome: 'unregistered' })
    expect(report.inflight_at_start).toBe(0)
    for (const n of NODES) {
      const m = await meta(n)
      await eventually(async () => expect((await m.describe(regId)).callees.map((c) => c.session)).toEqual([sessions.a, sessions.b]))
    }
  })
})

describe('live views and sessions show against a node', () => {
  let screen: TmuxScreen | undefined
  afterEach(() => {
    screen?.kill()
    screen = undefined
  })
  /** The live view `args` in tmux against node a (anonymous is admin on test nodes). */
  function live(name: string, args: string[]): TmuxScreen {
    const s = (screen = new TmuxScreen(name))
    s.start([...wampctlArgv(args), ...connFlags(cluster.url('a'))], { WAMPCTL_CONFIG_DIR: tempConfigDir(), NCURSES_NO_UTF8_ACS: '1' })
    return s
  }
  // Each callee's row: its session, then its node.
  const rowOf = (session: number, node: string): RegExp => new RegExp(`\\b${session}\\s+${node}\\s`)

  it('top and dashboard on node a name the node of each callee; sessions show names the node of a session on c', async () => {
    // First in URI order (the dashboard selects the first registration).
    const uri = 'a.ops.live'
    const sessions = await calleesOnEveryNode(uri)
    expect(await callFrom('b', uri, 6)).toEqual({ a: 2, b: 2, c: 2 })

    const top = live('cluster-top', ['top', '--filter', uri])
    await top.waitForScreen((s) => new RegExp(`${uri.replace(/\./g, '\\.')}\\s+roundrobin\\s+3\\s`).test(s), 'the registration')
    top.keys('Enter')
    await top.waitForScreen((s) => NODES.every((n) => rowOf(sessions[n], n).test(s)), 'the callees with their nodes')
    top.keys('q')
    expect(await top.waitForExit()).toBe(0)

    const dash = live('cluster-dashboard', ['dashboard'])
    await dash.waitForScreen(
      (s) => s.includes(`callees of ${uri}`) && NODES.every((n) => rowOf(sessions[n], n).test(s)),
      'the callees with their nodes',
    )
    dash.keys('q')
    expect(await dash.waitForExit()).toBe(0)

    const show = await runCli(['sessions', 'show', String(sessions.c), ...connFlags(cluster.url('a'))])
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(/^node:\s+c$/m)
    expect(show.stdout).toContain(uri)
  }, 60_000)
})

// Last in the file: node c stays stopped (the others declare it down); afterAll kills it by its PID.
describe('a node that does not answer', () => {
  it('a snapshot still answers: that node is named in missing_nodes, its callees listed with null statistics', async () => {
    const uri = 'com.ops.missing'
    const sessions = await calleesOnEveryNode(uri)
    expect(await callFrom('a', uri, 3)).toEqual({ a: 1, b: 1, c: 1 })
    const observer = await client('a')
    // SIGSTOP: node c neither answers nor beats its heartbeat. The others declare it down only after
    // the node timeout (2 s, heartbeats every 400 ms); the snapshot is asked at once, so c's callee
    // is still in a's replica, and a waits for c's part at most 2 s.
    process.kill(cluster.node('c').pid, 'SIGSTOP')
    const snap = (await observer.call(ExtensionUri.snapshot)).args[0] as RouterSnapshot
    expect(snap.missing_nodes).toEqual(['c'])
    const reg = snap.registrations.find((r) => r.uri === uri)!
    expect(reg.callees.map((c) => [c.session, c.node, c.calls, c.inflight, c.p99_ms])).toEqual([
      [sessions.a, 'a', 1, 0, expect.any(Number)],
      [sessions.b, 'b', 1, 0, expect.any(Number)],
      [sessions.c, 'c', null, null, null],
    ])
    expect(reg.callees[2]).toMatchObject({ state: 'active', weight: 1, recent: null })
  })
})
