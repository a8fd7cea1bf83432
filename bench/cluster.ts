/**
 * The cluster scenario (issue 12, docs/cluster.md): a real `nats-server -js` and two router nodes,
 * each its own process, side by side with the single router in the same run, under the same RPC
 * load as the main table (4 callees, 4 callers × 32 calls in flight):
 *
 * - `single`: one router, no cluster (the reference);
 * - `local`: nodes A and B, callers and callees all on A (a call never leaves A);
 * - `across`: callers on A, callees on B (every call crosses: INVOCATION and RESULT go through NATS).
 *
 * Each measurement starts fresh router processes (a fresh cluster name on the one NATS server, so
 * nothing of a previous measurement is seen) and samples the CPU of both nodes and of NATS over
 * the window. Every process is stopped by its PID.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startChild, type BenchChild } from './children.js'
import { startLoadGenerator } from './load-child.js'
import type { RouterMessage } from './child-ipc.js'
import type { BenchSerializer } from './load/codec.js'
import type { LoadMessage, LoadPlan } from './load/plan.js'
import type { RpcShape, RpcWindow } from './load/rpc.js'
import type { Timing } from './measure.js'
import type { BenchNats } from './nats-server.js'
import { median, num, type Table } from './table.js'
import { processUsage, routerUsage, type Usage } from './usage.js'

const here = dirname(fileURLToPath(import.meta.url))

export const CLUSTER_RPC: RpcShape = { callees: 4, callers: 4, inflight: 32 }
export const CLUSTER_SETUPS = ['single', 'local', 'across'] as const
export type ClusterSetup = (typeof CLUSTER_SETUPS)[number]

/** Targets of issue 12: local calls within 10 % of the single router, calls across nodes ≤ 3× it (A + B). */
export const CLUSTER_TARGETS = { maxLocalRatio: 1.1, maxAcrossRatio: 3 }

export interface ClusterMeasurement {
  setup: ClusterSetup
  serializer: BenchSerializer
  round: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  /** Router CPU per call, µs: node A (the callers' node; the single router), node B (the callees' node; 0 for single), NATS. */
  aUsPer: number
  bUsPer: number
  natsUsPer: number
}

let measurements = 0

/** One measurement of `setup`: fresh router process(es), a fresh load generator, warm-up, window. */
export async function measureCluster(
  setup: ClusterSetup,
  serializer: BenchSerializer,
  nats: BenchNats,
  timing: Timing,
  round: number,
): Promise<ClusterMeasurement> {
  const what = `${setup} ${serializer}`
  const cluster = `bench${process.pid}x${++measurements}`
  const node = (name: string): BenchChild<RouterMessage> =>
    startChild<RouterMessage>(
      `${what} router ${name}`,
      join(here, 'serve-wampctl.js'),
      JSON.stringify({
        extensions: true,
        callStats: true,
        ...(setup === 'single' ? {} : { cluster: { servers: nats.url, node: name, name: cluster } }),
      }),
      timing.pin ? 0 : undefined,
    )
  const nodes: BenchChild<RouterMessage>[] = []
  let load: BenchChild<LoadMessage> | undefined
  try {
    // One node after the other: two nodes creating a fresh cluster's buckets at the same moment
    // sometimes fail to listen ("subjects overlap with an existing stream").
    const urls: string[] = []
    for (const name of setup === 'single' ? ['a'] : ['a', 'b']) {
      const n = node(name)
      nodes.push(n)
      const ready = await n.next((m) => m.type === 'ready' || m.type === 'error', 30_000, 'ready message')
      if (ready.type !== 'ready') throw new Error(`${what}: ${ready.type === 'error' ? ready.message : 'unexpected message'}`)
      urls.push(ready.url ?? `ws://127.0.0.1:${ready.port}${ready.path}`)
    }
    const plan: LoadPlan = {
      url: urls[0]!,
      calleeUrl: setup === 'across' ? urls[1]! : urls[0]!,
      realm: 'realm1',
      serializer,
      warmupMs: timing.warmupMs,
      windowMs: timing.windowMs,
      kind: 'rpc',
      rpc: CLUSTER_RPC,
    }
    const generator = startLoadGenerator(what, plan, timing.pin)
    load = generator.child
    const step = generator.step
    await step('ready', 30_000)
    await step('window-start', timing.warmupMs + 10_000)
    const sample = async (): Promise<{ nodes: Usage[]; nats: Usage | undefined }> => ({
      nodes: await Promise.all(nodes.map((n) => routerUsage(n))),
      nats: setup === 'single' ? undefined : processUsage(nats.pid),
    })
    const before = await sample()
    await step('window-end', timing.windowMs + 10_000)
    const after = await sample()
    const result = await step('result', 15_000)
    if (result.type !== 'result') throw new Error(`${what}: no result`)
    await load.exited
    const w = result.window as RpcWindow
    if (w.errors > 0) throw new Error(`${what}: ${w.errors} call(s) failed, first: ${w.firstError ?? '?'}`)
    if (w.calls === 0) throw new Error(`${what}: no call completed in the measured window`)
    const per = (i: number): number => (after.nodes[i] === undefined ? 0 : (after.nodes[i]!.cpuUs - before.nodes[i]!.cpuUs) / w.calls)
    const natsUs = before.nats === undefined || after.nats === undefined ? NaN : after.nats.cpuUs - before.nats.cpuUs
    return {
      setup,
      serializer,
      round,
      perSecond: w.calls / w.seconds,
      p50Ms: w.p50Ms,
      p99Ms: w.p99Ms,
      aUsPer: per(0),
      bUsPer: per(1),
      natsUsPer: setup === 'single' ? 0 : natsUs / w.calls,
    }
  } finally {
    await load?.stop()
    await Promise.all(nodes.map((n) => n.stop()))
  }
}

/** Every setup × serializer, `rounds` times, the setups of one round back to back; `log` gets one line per measurement. */
export async function runCluster(
  nats: BenchNats,
  serializers: readonly BenchSerializer[],
  timing: Timing,
  rounds: number,
  log: (line: string) => void,
): Promise<ClusterMeasurement[]> {
  const all: ClusterMeasurement[] = []
  for (let round = 1; round <= rounds; round++) {
    for (const ser of serializers) {
      for (const setup of CLUSTER_SETUPS) {
        const m = await measureCluster(setup, ser, nats, timing, round)
        all.push(m)
        log(
          `  round ${round}/${rounds}  cluster ${`${setup} ${ser}`.padEnd(16)} ${num(m.perSecond).padStart(9)} calls/s  ` +
            `A ${num(m.aUsPer, 2).padStart(6)}  B ${num(m.bUsPer, 2).padStart(6)}  NATS ${num(m.natsUsPer, 2).padStart(6)} µs CPU/call`,
        )
      }
    }
  }
  return all
}

export interface ClusterSummary {
  setup: ClusterSetup
  serializer: BenchSerializer
  perSecond: number
  p50Ms: number
  p99Ms: number
  aUsPer: number
  bUsPer: number
  natsUsPer: number
  /** routersUsPer ÷ the single router's CPU per call, median of the per-round ratios. */
  vsSingle: number
}

/**
 * The router CPU a call costs: node A's for local calls (B serves none of them; what it spends
 * meanwhile is its heartbeats, shown in its own column), A + B for calls across nodes.
 */
function routersUsPer(m: { setup: ClusterSetup; aUsPer: number; bUsPer: number }): number {
  return m.setup === 'across' ? m.aUsPer + m.bUsPer : m.aUsPer
}

/** Medians over rounds; the ratio to the single router is taken within each round (minutes apart at most), then the median. */
export function summarizeCluster(all: readonly ClusterMeasurement[]): ClusterSummary[] {
  const out: ClusterSummary[] = []
  const sers = [...new Set(all.map((m) => m.serializer))]
  for (const serializer of sers) {
    for (const setup of CLUSTER_SETUPS) {
      const ms = all.filter((m) => m.setup === setup && m.serializer === serializer)
      if (ms.length === 0) continue
      const ratios = ms.flatMap((m) => {
        const single = all.find((s) => s.setup === 'single' && s.serializer === serializer && s.round === m.round)
        return single === undefined ? [] : [routersUsPer(m) / single.aUsPer]
      })
      const pick = (f: (m: ClusterMeasurement) => number): number => median(ms.map(f))
      out.push({
        setup,
        serializer,
        perSecond: pick((m) => m.perSecond),
        p50Ms: pick((m) => m.p50Ms),
        p99Ms: pick((m) => m.p99Ms),
        aUsPer: pick((m) => m.aUsPer),
        bUsPer: pick((m) => m.bUsPer),
        natsUsPer: pick((m) => m.natsUsPer),
        vsSingle: median(ratios),
      })
    }
  }
  return out
}

const SETUP_LABEL: Record<ClusterSetup, string> = {
  single: 'single router',
  local: '2 nodes, local calls (all on A)',
  across: '2 nodes, across (callers A, callees B)',
}

export function clusterTable(summaries: readonly ClusterSummary[]): Table {
  return {
    headers: [
      'setup',
      'ser',
      'calls/s',
      'p50 ms',
      'p99 ms',
      'A µs/call',
      'B µs/call',
      'router µs/call',
      '× single',
      'NATS µs/call',
      'target',
    ],
    rows: summaries.map((s) => [
      SETUP_LABEL[s.setup],
      s.serializer,
      num(s.perSecond),
      num(s.p50Ms, 2),
      num(s.p99Ms, 2),
      num(s.aUsPer, 2),
      s.setup === 'single' ? '—' : num(s.bUsPer, 2),
      num(routersUsPer(s), 2),
      num(s.vsSingle, 2),
      s.setup === 'single' ? '—' : num(s.natsUsPer, 2),
      targetCell(s),
    ]),
    right: new Set([2, 3, 4, 5, 6, 7, 8, 9]),
  }
}

function targetCell(s: ClusterSummary): string {
  if (s.setup === 'local') return `${s.vsSingle <= CLUSTER_TARGETS.maxLocalRatio ? 'met' : 'MISSED'} (≤ ${CLUSTER_TARGETS.maxLocalRatio}×)`
  if (s.setup === 'across')
    return `${s.vsSingle <= CLUSTER_TARGETS.maxAcrossRatio ? 'met' : 'MISSED'} (≤ ${CLUSTER_TARGETS.maxAcrossRatio}×)`
  return ''
}

/** What the figures say about capacity as nodes are added, and what bounds it (RESULTS.md). */
export function clusterExplanation(summaries: readonly ClusterSummary[]): string {
  const lines = [...new Set(summaries.map((s) => s.serializer))].flatMap((ser) => {
    const get = (setup: ClusterSetup): ClusterSummary | undefined => summaries.find((s) => s.setup === setup && s.serializer === ser)
    const single = get('single')
    const local = get('local')
    const across = get('across')
    if (single === undefined || local === undefined || across === undefined) return []
    const acrossUs = routersUsPer(across)
    // K nodes, callers and callees spread evenly, callees picked round-robin over all of them: a call crosses with probability (K-1)/K.
    const perCall = (k: number): number => (local.aUsPer + (k - 1) * acrossUs) / k
    const capacity = (k: number): number => (k * 1e6) / perCall(k)
    return [
      `- ${ser}: the single router ${num(single.aUsPer, 2)} µs/call; a local call on a node ${num(local.aUsPer, 2)} µs ` +
        `(${num(local.vsSingle, 2)}×); a call across nodes ${num(across.aUsPer, 2)} µs on the callers' node + ` +
        `${num(across.bUsPer, 2)} µs on the callees' node = ${num(acrossUs, 2)} µs (${num(across.vsSingle, 2)}×), ` +
        `and ${num(across.natsUsPer, 2)} µs in nats-server. Capacity in router CPU, one core per node: ` +
        `${num(1e6 / single.aUsPer)} calls/s for one router; with the calls kept local, ${num((2 * 1e6) / local.aUsPer)} for 2 nodes ` +
        `and ${num((4 * 1e6) / local.aUsPer)} for 4; with callers and callees spread evenly (a call crosses with probability ` +
        `(K−1)/K), ${num(capacity(2))} for 2 nodes, ${num(capacity(4))} for 4, ${num(capacity(8))} for 8.`,
    ]
  })
  return `How capacity grows with nodes, and what bounds it:

${lines.join('\n')}
- Local calls scale with the nodes: routing reads only the node's own replica (no NATS on the call
  path), so each node adds a core's worth of calls at the single router's cost per call; what a node
  spends besides (heartbeats, the replica's watch) does not grow with the call rate.
- A call that crosses nodes costs about two routers' work (the callers' node takes the CALL, sends
  the INVOCATION and the RESULT; the callees' node runs it as a call of a RemoteCaller) plus
  encoding for and publishing on NATS, so spreading callers and callees evenly over K nodes gives
  capacity that still grows about linearly with K, at the across cost per call once most calls
  cross. Keeping callers and their callees on the same node is the way to the local figure.
- Bounds: one nats-server carries every crossing call twice (INVOCATION and RESULT); its CPU per
  call above sets the crossing rate one nats-server core can carry (10^6 ÷ that figure), beyond
  which NATS itself must be clustered. A node's event loop is one core: a node saturates at
  10^6 ÷ its µs/call. Latency of a crossing call adds the two NATS hops (p50/p99 above).`
}
