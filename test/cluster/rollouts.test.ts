import { afterAll, describe, expect, it } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { MetaClient } from '../../src/client/meta-client.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'
import { connFlags, runCli, spawnCli, type CliResult } from '../support/cli.js'
import { eventually, TestCluster } from '../support/cluster.js'
import { startCallee, startLoad, type Load, type LoadReport, type TestCallee } from '../ops/rollout-fixture.js'

/**
 * Rollouts on a cluster of 3 nodes (a real nats-server, 3 `router start` processes), driven by
 * the real `wampctl rollout …` commands connected to different nodes: every node answers for
 * every rollout (status, list, history), steering sent to a node that does not run it reaches
 * the one that does, and a rollout outlives its node: kill -9 or SIGTERM of the node running it,
 * a survivor takes it over from its record in the realm's KV bucket and finishes it — or rolls
 * it back when its canary died with the node.
 */

const NODES = ['a', 'b', 'c'] as const
type NodeName = (typeof NODES)[number]

const cluster = TestCluster.forFile([...NODES])
const clients: WampClient[] = []

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)))
}, 30_000)

async function meta(node: NodeName): Promise<MetaClient> {
  const c = await WampClient.connect({ url: cluster.url(node), realm: 'realm1' })
  clients.push(c)
  return new MetaClient(c)
}

/** `wampctl rollout …` connected to `node`. */
function rollout(node: NodeName, ...args: string[]): Promise<CliResult> {
  return runCli(['rollout', ...args, ...connFlags(cluster.url(node))], { timeoutMs: 30_000 })
}

/** `rollout status URI --json` from `node`: the record it answers with. */
async function statusFrom(node: NodeName, uri: string): Promise<RolloutRecord> {
  const r = await rollout(node, 'status', uri, '--json')
  if (r.stdout.trim() === '') throw new Error(`rollout status from ${node}: exit ${String(r.code)}: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { rollout: RolloutRecord }).rollout
}

async function historyFrom(node: NodeName, uri: string): Promise<RolloutRecord[]> {
  const r = await rollout(node, 'history', uri, '--json')
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as RolloutRecord[]
}

/** [session, weight, state] of every callee of `uri`, as `node`'s replica has them. */
async function calleesOn(node: NodeName, uri: string): Promise<Array<[number, number, string]>> {
  const m = await meta(node)
  const d = await m.describe(await m.resolveRegistration(uri))
  return d.callees.map((c) => [c.session, c.weight, c.state] as [number, number, string]).sort((x, y) => x[0] - y[0])
}

/** Old callees (answering 'old') on `oldOn`, a dark canary (weight 0, answering 'new') on `canaryOn`; every node sees all of them. */
async function service(uri: string, oldOn: NodeName[], canaryOn: NodeName): Promise<{ old: TestCallee[]; canary: TestCallee }> {
  const old: TestCallee[] = []
  for (const [i, n] of oldOn.entries()) old.push(await startCallee(cluster.url(n), i % 2 === 0 ? 'autobahn' : 'wampy', 'old', { uri }))
  const canary = await startCallee(cluster.url(canaryOn), 'autobahn', 'new', { uri, authid: 'svc-v2', weight: 0 })
  for (const n of NODES) await eventually(async () => expect(await calleesOn(n, uri)).toHaveLength(old.length + 1), 15_000)
  return { old, canary }
}

/** Node a again, if a test stopped it. */
async function nodeAUp(): Promise<void> {
  const a = cluster.node('a').child
  if (a.exitCode !== null || a.signalCode !== null) await cluster.startNode('a')
}

/** Submit a canary rollout through node `node` (detached), steps and interval as given, old callees kept (undo). */
async function submit(node: NodeName, uri: string, canary: number, steps: string, interval = '300ms'): Promise<void> {
  const r = await rollout(
    node,
    'canary',
    uri,
    '--canary',
    String(canary),
    '--steps',
    steps,
    '--interval',
    interval,
    '--on-success',
    'keep',
    '--detach',
    '--yes',
  )
  expect(r.code, r.stderr).toBe(0)
}

/** Load from the surviving nodes b and c, until stopped. */
async function loadOn(uri: string, nodes: NodeName[] = ['b', 'c']): Promise<Load[]> {
  const loads = await Promise.all(nodes.map((n) => startLoad(cluster.url(n), { uri, workers: 3, maxMs: 120_000, maxCalls: 1_000_000 })))
  await Promise.all(loads.map((l) => l.answered(20, 20_000)))
  return loads
}

function failures(reports: LoadReport[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of reports) for (const [k, v] of Object.entries(r.failures)) out[k] = (out[k] ?? 0) + v
  return out
}

describe('any node answers for a rollout', () => {
  it('status, list and history from nodes that do not run it; promote and undo sent to other nodes; watch from another node', async () => {
    const uri = 'com.rol.anynode'
    const { old, canary } = await service(uri, ['b', 'c'], 'c')
    const loads = await loadOn(uri)
    await submit('a', uri, canary.session, '10,pause,100')

    // node c does not run it, yet answers for it
    const paused = await eventually(async () => {
      const r = await statusFrom('c', uri)
      expect([r.status, r.step]).toEqual(['paused', 2])
      return r
    }, 20_000)
    expect(paused.canary?.session).toBe(canary.session)
    const list = await rollout('b', 'list', '--json')
    expect(list.code, list.stderr).toBe(0)
    expect((JSON.parse(list.stdout) as RolloutRecord[]).map((r) => [r.uri, r.id])).toContainEqual([uri, paused.id])

    // watch from node c; promote sent to node b: both reach node a, which runs it
    const watch = spawnCli(['rollout', 'watch', uri, ...connFlags(cluster.url('c'))], { timeoutMs: 60_000 })
    await watch.waitFor((out) => out.length > 0, 20_000)
    const promote = await rollout('b', 'promote', uri, '--yes')
    expect(promote.code, promote.stderr).toBe(0)
    const watched = await watch.done
    expect(watched.code, watched.stderr).toBe(0)
    expect(watched.stdout).toMatch(/promoted/)

    const historyB = await historyFrom('b', uri)
    expect([historyB[0]!.id, historyB[0]!.outcome]).toEqual([paused.id, 'promoted'])
    expect(historyB[0]!.kept.sort()).toEqual(old.map((o) => o.session).sort())
    const all = await rollout('c', 'history', '--json')
    expect((JSON.parse(all.stdout) as RolloutRecord[]).map((r) => r.id)).toContain(paused.id)

    // undo from node c (the rollout ran on a): the previous version back, recorded for every node
    const undo = await rollout('c', 'undo', uri, '--yes')
    expect(undo.code, undo.stderr).toBe(0)
    for (const n of NODES) {
      await eventually(async () =>
        expect(await calleesOn(n, uri)).toEqual(
          [...old.map((o) => [o.session, 1, 'active']), [canary.session, 0, 'cordoned']].sort((x, y) => Number(x[0]) - Number(y[0])),
        ),
      )
    }
    await eventually(async () => expect((await historyFrom('a', uri))[0]!.undone).not.toBeNull(), 15_000)
    const again = await rollout('b', 'undo', uri, '--yes')
    expect(again.code).toBe(4)
    expect(again.stderr).toMatch(/undone already/)

    const reports = await Promise.all(loads.map((l) => l.stop()))
    expect(failures(reports)).toEqual({})
  }, 180_000)

  it('pause, resume and abort sent to nodes that do not run it', async () => {
    const uri = 'com.rol.steer'
    const { old, canary } = await service(uri, ['b'], 'c')
    await submit('b', uri, canary.session, '10,50,100', '60s')
    await eventually(async () => expect((await statusFrom('a', uri)).step).toBe(1), 20_000)

    const pause = await rollout('c', 'pause', uri)
    expect(pause.code, pause.stderr).toBe(0)
    expect((await statusFrom('b', uri)).status).toBe('paused')
    await eventually(async () => expect((await statusFrom('a', uri)).paused).not.toBeNull())

    const resume = await rollout('a', 'resume', uri)
    expect(resume.code, resume.stderr).toBe(0)
    expect((await statusFrom('b', uri)).status).toBe('running')

    const abort = await rollout('c', 'abort', uri, '--yes')
    expect(abort.code, abort.stderr).toBe(0)
    await eventually(async () => expect((await historyFrom('a', uri))[0]!.outcome).toBe('aborted'), 15_000)
    await eventually(async () =>
      expect(await calleesOn('a', uri)).toEqual(
        [
          [old[0]!.session, 1, 'active'],
          [canary.session, 0, 'cordoned'],
        ].sort((x, y) => Number(x[0]) - Number(y[0])),
      ),
    )
    // nothing runs any more: steering says so, from any node
    const none = await rollout('a', 'pause', uri)
    expect(none.code).toBe(3)
  }, 120_000)
})

describe('a rollout outlives its node', () => {
  it('SIGTERM of the node running it mid-step: another node takes it over, checks the step afresh and promotes it, no call failed', async () => {
    const uri = 'com.rol.handover'
    const { canary } = await service(uri, ['b', 'c'], 'c')
    const loads = await loadOn(uri)
    // A traffic step with a long check window: node a stops while the window runs.
    await submit('a', uri, canary.session, '10,100', '6s')
    const before = await eventually(async () => {
      const r = await statusFrom('b', uri)
      expect([r.status, r.step]).toEqual(['running', 1])
      return r
    }, 20_000)

    const watch = spawnCli(['rollout', 'watch', uri, ...connFlags(cluster.url('c'))], { timeoutMs: 60_000 })
    await watch.waitFor((out) => out.length > 0, 20_000)
    expect(await cluster.node('a').terminate()).toBe(0)
    // node b (the lowest live name) takes it over at once (no node timeout to wait for), runs step 1's checks, then step 2
    const final = await eventually(async () => {
      const h = await historyFrom('c', uri)
      expect(h[0]!.id).toBe(before.id)
      expect(h[0]!.outcome).toBe('promoted')
      return h[0]!
    }, 45_000)
    // step 1's weights were applied once (by node a), and judged by a check of its window
    expect(final.steps.map((s) => s.step)).toEqual([1, 2])
    expect(final.steps[0]!.checks).toBeGreaterThan(0)
    expect(final.steps[0]!.canary_calls).toBeGreaterThan(0)
    // a watcher on node c saw it go on from step 1 on node b, to its end
    const watched = await watch.done
    expect(watched.code, watched.stderr).toBe(0)
    expect(watched.stdout).toMatch(/note: taken over by node b: node a stopped and handed it over; it goes on from step \d \(running\)/)
    for (const n of ['b', 'c'] as const)
      await eventually(async () => expect((await calleesOn(n, uri)).find((c) => c[0] === canary.session)?.[1]).toBe(1))
    const reports = await Promise.all(loads.map((l) => l.stop()))
    expect(failures(reports)).toEqual({})
  }, 180_000)

  it('kill -9 of the node running it under load: a survivor takes it over and promotes it, no call failed', async () => {
    await nodeAUp()
    const uri = 'com.rol.takeover'
    const { canary } = await service(uri, ['b', 'c'], 'c')
    const loads = await loadOn(uri)
    await submit('a', uri, canary.session, '10,pause,100')
    const before = await eventually(async () => {
      const r = await statusFrom('c', uri)
      expect([r.status, r.step]).toEqual(['paused', 2])
      return r
    }, 20_000)

    await cluster.node('a').kill9()
    // once node a is declared down (2 s in tests), b takes it over; until then promote is refused
    await eventually(async () => {
      const r = await rollout('b', 'promote', uri, '--yes')
      expect(r.code, r.stderr).toBe(0)
    }, 30_000)
    const final = await eventually(async () => {
      const h = await historyFrom('b', uri)
      expect(h[0]!.id).toBe(before.id)
      expect(h[0]!.outcome).toBe('promoted')
      return h[0]!
    }, 30_000)
    expect(final.steps.map((s) => s.step)).toEqual([1, 3])
    const reports = await Promise.all(loads.map((l) => l.stop()))
    expect(failures(reports)).toEqual({})
    expect(canary.invocations).toBeGreaterThan(0)
    for (const n of ['b', 'c'] as const)
      await eventually(async () => expect((await calleesOn(n, uri)).find((c) => c[0] === canary.session)?.[1]).toBe(1))
  }, 180_000)

  it('kill -9 of the node running it and hosting the canary: rolled back, the old callees serve at their weights', async () => {
    await nodeAUp()
    const uri = 'com.rol.canarydies'
    const { old, canary } = await service(uri, ['b', 'c'], 'a')
    const loads = await loadOn(uri)
    await submit('a', uri, canary.session, '25,pause,100')
    const before = await eventually(async () => {
      const r = await statusFrom('b', uri)
      expect([r.status, r.step]).toEqual(['paused', 2])
      return r
    }, 20_000)
    await Promise.all(loads.map((l) => l.answered(20, 20_000)))

    await cluster.node('a').kill9()
    const final = await eventually(async () => {
      const h = await historyFrom('c', uri)
      expect(h[0]!.id).toBe(before.id)
      expect(h[0]!.outcome).toBe('rolled_back')
      return h[0]!
    }, 30_000)
    expect(final.reason).toMatch(/canary/)
    for (const n of ['b', 'c'] as const) {
      await eventually(async () =>
        expect(await calleesOn(n, uri)).toEqual(old.map((o) => [o.session, 1, 'active']).sort((x, y) => Number(x[0]) - Number(y[0]))),
      )
    }
    // Only calls in flight to the dead node failed (canceled); from here on, none does.
    const failedBefore = loads.map((l) => l.report.failed)
    await Promise.all(loads.map((l) => l.answered(100, 20_000)))
    const reports = await Promise.all(loads.map((l) => l.stop()))
    expect(reports.map((r) => r.failed)).toEqual(failedBefore)
    expect(Object.keys(failures(reports)).filter((k) => k !== 'wamp.error.canceled')).toEqual([])
    console.log(`[rollout canary dies] calls ${reports.map((r) => r.calls).join('+')} canceled ${failedBefore.join('+')}`)

    // The history outlived node a, which ran these rollouts and died twice since.
    const first = await historyFrom('c', 'com.rol.anynode')
    expect([first[0]!.outcome, first[0]!.undone === null]).toEqual(['promoted', false])
  }, 180_000)

  it('a node held up (SIGSTOP) past the node timeout loses its rollout to a survivor, and stops running it once it resumes', async () => {
    await nodeAUp()
    const uri = 'com.rol.held'
    const { canary } = await service(uri, ['b', 'c'], 'c')
    const loads = await loadOn(uri)
    await submit('a', uri, canary.session, '10,pause,100')
    const before = await eventually(async () => {
      const r = await statusFrom('b', uri)
      expect([r.status, r.step]).toEqual(['paused', 2])
      return r
    }, 20_000)

    process.kill(cluster.node('a').pid, 'SIGSTOP')
    try {
      // a is declared down and b takes the rollout over: steering sent to c is answered (by b)
      await eventually(async () => {
        const r = await rollout('c', 'pause', uri)
        expect(r.code, r.stderr).toBe(0)
      }, 30_000)
    } finally {
      process.kill(cluster.node('a').pid, 'SIGCONT')
    }
    // back, a learns that b runs it and stops running it itself
    await eventually(() => expect(cluster.node('a').stderr).toMatch(/another node took this rollout over/), 30_000)
    const promote = await rollout('a', 'promote', uri, '--yes')
    expect(promote.code, promote.stderr).toBe(0)
    const history = await eventually(async () => {
      const h = await historyFrom('c', uri)
      expect([h[0]!.id, h[0]!.outcome]).toEqual([before.id, 'promoted'])
      return h
    }, 30_000)
    // ended once, by b: one entry, its steps applied once
    expect(history.filter((r) => r.id === before.id)).toHaveLength(1)
    expect(history[0]!.steps.map((st) => st.step)).toEqual([1, 3])
    const reports = await Promise.all(loads.map((l) => l.stop()))
    expect(failures(reports)).toEqual({})
  }, 180_000)

  it('kill -9 of the node running a replace while it waits: a survivor takes it over, and it retires the old callees once the new one came', async () => {
    await nodeAUp()
    const uri = 'com.rol.replace'
    const old = [
      await startCallee(cluster.url('b'), 'autobahn', 'old', { uri }),
      await startCallee(cluster.url('c'), 'wampy', 'old', { uri }),
    ]
    for (const n of NODES) await eventually(async () => expect(await calleesOn(n, uri)).toHaveLength(2), 15_000)
    const loads = await loadOn(uri)
    const r = await rollout('a', 'replace', uri, '--count', '1', '--new-authid', 'svc-v3', '--timeout', '2m', '--detach', '--yes')
    expect(r.code, r.stderr).toBe(0)
    const before = await eventually(async () => {
      const s = await statusFrom('b', uri)
      expect(s.status).toBe('waiting')
      return s
    }, 20_000)

    await cluster.node('a').kill9()
    const fresh = await startCallee(cluster.url('c'), 'autobahn', 'new', { uri, authid: 'svc-v3' })
    const final = await eventually(async () => {
      const h = await historyFrom('b', uri)
      expect(h[0]!.id).toBe(before.id)
      expect(h[0]!.outcome).toBe('completed')
      return h[0]!
    }, 60_000)
    expect(final.new_sessions).toEqual([fresh.session])
    expect(final.retired.sort()).toEqual(old.map((o) => o.session).sort())
    for (const n of ['b', 'c'] as const)
      await eventually(async () => expect(await calleesOn(n, uri)).toEqual([[fresh.session, 1, 'active']]))
    const reports = await Promise.all(loads.map((l) => l.stop()))
    expect(failures(reports)).toEqual({})
    expect(fresh.invocations).toBeGreaterThan(0)
  }, 180_000)
})
