/**
 * The cluster scenario (issue 12, docs/cluster.md): a real `nats-server -js` and two router nodes,
 * each its own process, side by side with the single router in the same run, under the same RPC
 * load as the main table (4 callees, 4 callers × 32 calls in flight):
 *
 * - `single`: one router, no cluster (the reference);
 * - `local`: nodes A and B, callers and callees all on A (a call never leaves A);
 * - `across`: callers on A, callees on B (every call crosses: INVOCATION and RESULT go through NATS).
 *
 * and the same three setups for pub/sub (1 publisher, 10 subscribers of its topic): `local` has
 * publisher and subscribers on A, `across` the publisher on A and the subscribers on B (each
 * publication crosses once, B delivers it 10 times). CPU is per EVENT delivered.
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
import type { PubSubShape, PubSubWindow } from './load/pubsub.js'
import type { RpcShape, RpcWindow } from './load/rpc.js'
import type { Timing } from './measure.js'
import type { BenchNats } from './nats-server.js'
import { median, num, type Table } from './table.js'
import { processUsage, routerUsage, type Usage } from './usage.js'

const here = dirname(fileURLToPath(import.meta.url))

export const CLUSTER_RPC: RpcShape = { callees: 4, callers: 4, inflight: 32 }
/**
 * Paced by the events, not by PUBLISHED: on a cluster the publisher's node acknowledges before the
 * other node delivers, so acknowledgements alone would let the publisher outrun subscribers there.
 */
export const CLUSTER_PUBSUB: PubSubShape = { subscribers: 10, publishers: 1, inflight: 32, paceByEvents: true }
export const CLUSTER_SETUPS = ['single', 'local', 'across'] as const
export type ClusterSetup = (typeof CLUSTER_SETUPS)[number]
export type ClusterKind = 'rpc' | 'pubsub'

/**
 * The cluster scenario warms up at least this long, every setup (the single router too): a node
 * that forwards calls runs more code (NATS client, frames, the dealer with proxy sessions) at a
 * lower rate per function than a router that serves them all, so V8 optimizes it later. With the
 * main table's 1 s, the optimizing compiler still took 6–12 % of a crossing node's CPU in the
 * window (perf), and across ÷ single came out 0.2–0.8 higher than with 4 s.
 */
export const CLUSTER_MIN_WARMUP_MS = 4000

/** Targets of issue 12: local calls within 10 % of the single router, calls across nodes ≤ 3× it (A + B). */
export const CLUSTER_TARGETS = { maxLocalRatio: 1.1, maxAcrossRatio: 3 }

export interface ClusterMeasurement {
  kind: ClusterKind
  setup: ClusterSetup
  serializer: BenchSerializer
  round: number
  /** Calls (rpc) or EVENTs delivered (pubsub) per second. */
  perSecond: number
  p50Ms: number
  p99Ms: number
  /**
   * Router CPU per call (per EVENT for pubsub), µs: node A (the callers' or publisher's node; the
   * single router), node B (the callees' or subscribers' node; 0 for single), NATS.
   */
  aUsPer: number
  bUsPer: number
  natsUsPer: number
}

let measurements = 0

/** One measurement of `setup`: fresh router process(es), a fresh load generator, warm-up, window. */
export async function measureCluster(
  kind: ClusterKind,
  setup: ClusterSetup,
  serializer: BenchSerializer,
  nats: BenchNats,
  timing: Timing,
  round: number,
): Promise<ClusterMeasurement> {
  const what = `${kind} ${setup} ${serializer}`
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
    const common = { url: urls[0]!, realm: 'realm1', serializer, warmupMs: timing.warmupMs, windowMs: timing.windowMs }
    const otherNode = setup === 'across' ? urls[1]! : urls[0]!
    const plan: LoadPlan =
      kind === 'rpc'
        ? { ...common, calleeUrl: otherNode, kind: 'rpc', rpc: CLUSTER_RPC }
        : { ...common, subscriberUrl: otherNode, kind: 'pubsub', pubsub: CLUSTER_PUBSUB }
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
    const w = result.window as RpcWindow | PubSubWindow
    const count = 'calls' in w ? w.calls : w.events
    if (w.errors > 0)
      throw new Error(`${what}: ${w.errors} ${kind === 'rpc' ? 'call' : 'publication'}(s) failed, first: ${w.firstError ?? '?'}`)
    if (count === 0) throw new Error(`${what}: no ${kind === 'rpc' ? 'call completed' : 'event delivered'} in the measured window`)
    const per = (i: number): number => (after.nodes[i] === undefined ? 0 : (after.nodes[i]!.cpuUs - before.nodes[i]!.cpuUs) / count)
    const natsUs = before.nats === undefined || after.nats === undefined ? NaN : after.nats.cpuUs - before.nats.cpuUs
    return {
      kind,
      setup,
      serializer,
      round,
      perSecond: count / w.seconds,
      p50Ms: w.p50Ms,
      p99Ms: w.p99Ms,
      aUsPer: per(0),
      bUsPer: per(1),
      natsUsPer: setup === 'single' ? 0 : natsUs / count,
    }
  } finally {
    await load?.stop()
    await Promise.all(nodes.map((n) => n.stop()))
  }
}

/** Every kind × serializer × setup, `rounds` times, the setups of one round back to back; `log` gets one line per measurement. */
export async function runCluster(
  nats: BenchNats,
  serializers: readonly BenchSerializer[],
  timing: Timing,
  rounds: number,
  log: (line: string) => void,
): Promise<ClusterMeasurement[]> {
  const all: ClusterMeasurement[] = []
  for (let round = 1; round <= rounds; round++) {
    for (const kind of ['rpc', 'pubsub'] as const) {
      const unit = kind === 'rpc' ? 'call' : 'event'
      for (const ser of serializers) {
        for (const setup of CLUSTER_SETUPS) {
          const m = await measureCluster(kind, setup, ser, nats, timing, round)
          all.push(m)
          log(
            `  round ${round}/${rounds}  cluster ${`${kind} ${setup} ${ser}`.padEnd(23)} ${num(m.perSecond).padStart(9)} ${unit}s/s  ` +
              `A ${num(m.aUsPer, 2).padStart(6)}  B ${num(m.bUsPer, 2).padStart(6)}  NATS ${num(m.natsUsPer, 2).padStart(6)} µs CPU/${unit}`,
          )
        }
      }
    }
  }
  return all
}

export interface ClusterSummary {
  kind: ClusterKind
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
  /** The same ratio in each round, in round order. */
  roundRatios: number[]
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
  for (const kind of ['rpc', 'pubsub'] as const) {
    for (const serializer of sers) {
      for (const setup of CLUSTER_SETUPS) {
        const ms = all.filter((m) => m.kind === kind && m.setup === setup && m.serializer === serializer)
        if (ms.length === 0) continue
        const ratios = ms.flatMap((m) => {
          const single = all.find((s) => s.kind === kind && s.setup === 'single' && s.serializer === serializer && s.round === m.round)
          return single === undefined ? [] : [routersUsPer(m) / single.aUsPer]
        })
        const pick = (f: (m: ClusterMeasurement) => number): number => median(ms.map(f))
        out.push({
          kind,
          setup,
          serializer,
          perSecond: pick((m) => m.perSecond),
          p50Ms: pick((m) => m.p50Ms),
          p99Ms: pick((m) => m.p99Ms),
          aUsPer: pick((m) => m.aUsPer),
          bUsPer: pick((m) => m.bUsPer),
          natsUsPer: pick((m) => m.natsUsPer),
          vsSingle: median(ratios),
          roundRatios: ratios,
        })
      }
    }
  }
  return out
}

const SETUP_LABEL: Record<ClusterKind, Record<ClusterSetup, string>> = {
  rpc: {
    single: 'single router',
    local: '2 nodes, local calls (all on A)',
    across: '2 nodes, across (callers A, callees B)',
  },
  pubsub: {
    single: 'single router',
    local: '2 nodes, local (all on A)',
    across: '2 nodes, across (publisher A, subscribers B)',
  },
}

/** The table of one kind: `rpc` (per call, with the issue's targets) or `pubsub` (per EVENT delivered). */
export function clusterTable(summaries: readonly ClusterSummary[], kind: ClusterKind = 'rpc'): Table {
  const unit = kind === 'rpc' ? 'call' : 'event'
  return {
    headers: [
      'setup',
      'ser',
      `${unit}s/s`,
      'p50 ms',
      'p99 ms',
      `A µs/${unit}`,
      `B µs/${unit}`,
      `router µs/${unit}`,
      '× single',
      '× single, each round',
      `NATS µs/${unit}`,
      ...(kind === 'rpc' ? ['target'] : []),
    ],
    rows: summaries
      .filter((s) => s.kind === kind)
      .map((s) => [
        SETUP_LABEL[kind][s.setup],
        s.serializer,
        num(s.perSecond),
        num(s.p50Ms, 2),
        num(s.p99Ms, 2),
        num(s.aUsPer, 2),
        s.setup === 'single' ? '—' : num(s.bUsPer, 2),
        num(routersUsPer(s), 2),
        num(s.vsSingle, 2),
        s.setup === 'single' ? '—' : s.roundRatios.map((r) => num(r, 2)).join(', '),
        s.setup === 'single' ? '—' : num(s.natsUsPer, 2),
        ...(kind === 'rpc' ? [targetCell(s)] : []),
      ]),
    right: new Set([2, 3, 4, 5, 6, 7, 8, 10]),
  }
}

/** Met only when every round met it (the median alone could hide a round that missed). */
function targetCell(s: ClusterSummary): string {
  const limit = s.setup === 'local' ? CLUSTER_TARGETS.maxLocalRatio : s.setup === 'across' ? CLUSTER_TARGETS.maxAcrossRatio : undefined
  if (limit === undefined) return ''
  const missed = s.roundRatios.filter((r) => r > limit).length
  const verdict =
    missed === 0 ? 'met' : missed === s.roundRatios.length ? 'MISSED' : `MISSED in ${missed} of ${s.roundRatios.length} rounds`
  return `${verdict} (≤ ${limit}×)`
}

/** What the figures say about capacity as nodes are added, and what bounds it (RESULTS.md). */
export function clusterExplanation(summaries: readonly ClusterSummary[]): string {
  const lines = [...new Set(summaries.map((s) => s.serializer))].flatMap((ser) => {
    const get = (setup: ClusterSetup): ClusterSummary | undefined =>
      summaries.find((s) => s.kind === 'rpc' && s.setup === setup && s.serializer === ser)
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
  const pubsub = [...new Set(summaries.map((s) => s.serializer))].flatMap((ser) => {
    const get = (setup: ClusterSetup): ClusterSummary | undefined =>
      summaries.find((s) => s.kind === 'pubsub' && s.setup === setup && s.serializer === ser)
    const single = get('single')
    const local = get('local')
    const across = get('across')
    if (single === undefined || local === undefined || across === undefined) return []
    return [
      `- pub/sub, ${ser}: the single router ${num(single.aUsPer, 2)} µs per EVENT delivered; publisher and subscribers on one ` +
        `node ${num(local.aUsPer, 2)} µs (${num(local.vsSingle, 2)}×); subscribers on another node ${num(across.aUsPer, 2)} µs on the ` +
        `publisher's node + ${num(across.bUsPer, 2)} µs on the subscribers' node = ${num(routersUsPer(across), 2)} µs ` +
        `(${num(across.vsSingle, 2)}×), and ${num(across.natsUsPer, 2)} µs in nats-server. A publication crosses once per node ` +
        `that has subscribers, whatever their number: the subscribers' node does the fan-out as a single router does.`,
    ]
  })
  return `How capacity grows with nodes, and what bounds it:

${lines.join('\n')}
${pubsub.join('\n')}
- Local calls scale with the nodes: routing reads only the node's own replica (no NATS on the call
  path), so each node adds a core's worth of calls at the single router's cost per call; what a node
  spends besides (heartbeats, the replica's watch) does not grow with the call rate.
- A call that crosses nodes costs about two routers' work (the callers' node takes the CALL, sends
  the INVOCATION and the RESULT; the callees' node runs it as a call of a RemoteCaller) plus
  encoding for and publishing on NATS, so spreading callers and callees evenly over K nodes gives
  capacity that still grows about linearly with K, at the across cost per call once most calls
  cross. Keeping callers and their callees on the same node is the way to the local figure.
- What a crossing node does per call: the WebSocket side of one call (the callers' node: CALL in,
  RESULT out; the callees' node: INVOCATION out, YIELD in), one msgpack encode and one decode for
  the wire, and its share of one NATS message per turn: everything a node sends to another node in
  one turn of its event loop goes as one message (cluster/outbox.ts; about 40 calls per message
  here). Before that, every INVOCATION and RESULT was its own publish, the nodes' socket writes to
  NATS took about a quarter of their CPU, across ÷ single was 3.2–3.3× on a quiet machine (18:20
  UTC, 1 s warm-up) and nats-server spent 7.5–8.7 µs per crossing call.
- Bounds: one nats-server carries every crossing call twice (INVOCATION and RESULT); its CPU per
  call above sets the crossing rate one nats-server core can carry (10^6 ÷ that figure), beyond
  which NATS itself must be clustered. A node's event loop is one core: a node saturates at
  10^6 ÷ its µs/call. Latency of a crossing call adds the two NATS hops (p50/p99 above).`
}
