/**
 * `npm run bench`: our router and fox-wamp side by side, each in its own child process, driven by
 * a lean load generator in another process (bench/load/). Prints the tables and ratios, writes
 * bench/RESULTS.md. Exit 0 on success; 1 with one line on stderr when a measurement fails (or,
 * with --check, when a target is missed); 2 on a usage error; 130 on SIGINT.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canPin, stopAllChildren } from './children.js'
import { statsWorkNsPerCall } from './stats-micro.js'
import { measure, type Measurement } from './measure.js'
import { checkTargets, pubsubTable, rpcTable, statsCostTable, summarize } from './report.js'
import { machineFacts, writeResults } from './results-md.js'
import { parseSettings, UsageError, type BenchSettings } from './settings.js'
import { num, renderMarkdown, renderText, type Table } from './table.js'
import { PUBSUB_TARGETS, RPC_TARGETS } from './targets.js'
import { transportTable } from './transport-report.js'
import { routingPickCosts, type PickCost } from './routing-micro.js'
import { ROUTING_SCENARIOS, runRouting, routingTable, SLOW_MS, type RoutingRow } from './routing.js'
import {
  clusterExplanation,
  clusterTable,
  CLUSTER_MIN_WARMUP_MS,
  CLUSTER_PUBSUB,
  CLUSTER_RPC,
  runCluster,
  summarizeCluster,
} from './cluster.js'
import { BenchNats } from './nats-server.js'

const RPC = { kind: 'rpc' as const, rpc: { callees: 4, callers: 4, inflight: 32 } }
const PUBSUB = { kind: 'pubsub' as const, pubsub: { subscribers: 10, publishers: 1, inflight: 32 } }

const resultsPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'RESULTS.md')

async function runRounds(settings: BenchSettings): Promise<Measurement[]> {
  const timing = { warmupMs: settings.warmupMs, windowMs: settings.windowMs, pin: settings.pin && canPin }
  const cases = [
    ...['json', 'msgpack'].flatMap((ser) =>
      RPC_TARGETS.filter((t) => t.serializers.includes(ser as 'json')).map((t) => ({ t, ser: ser as 'json' | 'msgpack', scenario: RPC })),
    ),
    ...(settings.pubsub ? PUBSUB_TARGETS.map((t) => ({ t, ser: 'json' as const, scenario: PUBSUB })) : []),
  ]
  const all: Measurement[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    for (const c of cases) {
      const m = await measure(c.t, c.ser, c.scenario, timing, round)
      all.push(m)
      const unit = m.kind === 'rpc' ? 'calls/s' : 'events/s'
      process.stdout.write(
        `  round ${round}/${settings.rounds}  ${`${m.target} ${m.serializer} ${m.kind}`.padEnd(30)} ${num(m.perSecond).padStart(9)} ${unit.padEnd(8)}  ${num(m.cpuUsPer, 2).padStart(6)} µs CPU  ${num(m.cpuPercent).padStart(3)}% CPU  load ${num(m.loadCpuPercent).padStart(3)}%  others ${num(m.othersCpuPercent).padStart(3)}%\n`,
      )
    }
  }
  return all
}

/** Runs the routing scenario, prints its tables, returns its RESULTS.md section. */
async function routingSection(settings: BenchSettings): Promise<string> {
  const timing = { warmupMs: settings.warmupMs, windowMs: settings.windowMs, pin: settings.pin && canPin }
  console.log(`\nRouting: ${ROUTING_SCENARIOS.length} configurations × ${settings.rounds} round(s), msgpack`)
  const rows: RoutingRow[] = await runRouting(timing, settings.rounds, (line) => console.log(line))
  const table = routingTable(rows)
  const picks = pickTable(routingPickCosts())
  const title = `Heterogeneous callees: 1 slow (one call at a time, ${SLOW_MS} ms each) + 3 fast, 4 callers × 32 in flight`
  console.log(`\n${title} (median of ${settings.rounds}):\n`)
  console.log(renderText(table))
  console.log('\nThe routing decision alone (pick + in-flight accounting), ns per call, best of 5:\n')
  console.log(renderText(picks))
  return `## Routing (issue 14): ${title}\n\n${renderMarkdown(table)}\n\n- slow callee share: its part of the calls served in the window. CPU µs/call: the router's, as above.\n- \`all capped at 16\`: 64 slots for 128 calls in flight, so half the calls wait in the router's queue.\n\nThe routing decision alone (\`bench/routing-micro.ts\`: pick a callee, account the call in flight and its end), ns per call:\n\n${renderMarkdown(picks)}\n\n`
}

/** The NATS server of a cluster scenario in progress (stopped on SIGINT too). */
let nats: BenchNats | undefined

/** Runs the cluster scenario, prints its tables, returns its RESULTS.md section (a note when nats-server cannot run). */
async function clusterSection(settings: BenchSettings): Promise<string> {
  const timing = { warmupMs: Math.max(settings.warmupMs, CLUSTER_MIN_WARMUP_MS), windowMs: settings.windowMs, pin: settings.pin && canPin }
  const title = `Router cluster (issue 12): nats-server -js and 2 router nodes, ${CLUSTER_RPC.callees} callees, ${CLUSTER_RPC.callers} callers × ${CLUSTER_RPC.inflight} in flight; pub/sub ${CLUSTER_PUBSUB.publishers} publisher, ${CLUSTER_PUBSUB.subscribers} subscribers`
  try {
    nats = await BenchNats.start()
  } catch (err) {
    const why = `cluster scenario skipped: ${err instanceof Error ? err.message : String(err)}`
    console.log(`\n${why}`)
    return `## ${title}\n\n${why}\n\n`
  }
  try {
    const startedAt = new Date()
    const loadBefore = loadavg()[0]!
    console.log(
      `\nCluster: rpc and pub/sub × single router, 2 nodes local, 2 nodes across × json, msgpack × ${settings.rounds} round(s), warm-up ${timing.warmupMs} ms`,
    )
    const rows = summarizeCluster(await runCluster(nats, ['json', 'msgpack'], timing, settings.rounds, (line) => console.log(line)))
    const loadAfter = loadavg()[0]!
    const rpc = clusterTable(rows, 'rpc')
    const pubsub = clusterTable(rows, 'pubsub')
    const explanation = clusterExplanation(rows)
    const when =
      `Measured ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC by \`node dist/bench/run.js --write-cluster\` ` +
      `(${settings.rounds} round(s), warm-up ${timing.warmupMs} ms, window ${settings.windowMs} ms, ` +
      `${timing.pin ? 'both nodes on CPU 0, load generator on CPU 1' : 'no pinning'}, nats-server unpinned); ` +
      `1-minute load average ${num(loadBefore, 1)} at the start, ${num(loadAfter, 1)} at the end. ` +
      `\`× single\` is node A's CPU ÷ the single router's for local work, A + B ÷ the single router's across nodes, ` +
      `each within one round (medians of the rounds; every round in the next column). A target is met only when every round met it.`
    console.log(`\n${title} (median of ${settings.rounds}):\n`)
    console.log(renderText(rpc))
    console.log(`\nPub/sub, CPU per EVENT delivered (publisher paced by its events, ${CLUSTER_PUBSUB.inflight} in flight):\n`)
    console.log(renderText(pubsub))
    console.log(`\n${explanation}`)
    return (
      `## ${title}\n\n${when}\n\n${renderMarkdown(rpc)}\n\n` +
      `Pub/sub: CPU per EVENT delivered to the ${CLUSTER_PUBSUB.subscribers} subscribers (the publisher keeps ${CLUSTER_PUBSUB.inflight} ` +
      `publications whose event has not reached its first subscriber yet: on a cluster PUBLISHED comes before the other node delivers).\n\n` +
      `${renderMarkdown(pubsub)}\n\n${explanation}\n\n`
    )
  } finally {
    await nats.close()
    nats = undefined
  }
}

/** Put `section` into RESULTS.md in place of its "## Router cluster" section (before the next "## "), or before "## Targets". */
function replaceClusterSection(path: string, section: string): void {
  const md = readFileSync(path, 'utf8')
  const start = md.indexOf('## Router cluster')
  const end = start < 0 ? md.indexOf('## Targets') : md.indexOf('\n## ', start + 3) + 1
  const at = start < 0 ? end : start
  writeFileSync(path, md.slice(0, at) + section + md.slice(end > 0 ? end : md.length))
}

function pickTable(costs: readonly PickCost[]): Table {
  const sizes = [...new Set(costs.map((c) => c.callees))]
  const policies = [...new Set(costs.map((c) => c.policy))]
  return {
    headers: ['policy', ...sizes.map((k) => `K = ${k}`)],
    rows: policies.map((p) => [p, ...sizes.map((k) => num(costs.find((c) => c.policy === p && c.callees === k)!.ns, 1))]),
    right: new Set(sizes.map((_, i) => i + 1)),
  }
}

async function main(): Promise<number> {
  const settings = parseSettings(process.argv.slice(2))
  const startedAt = new Date()
  const machine = machineFacts(availableParallelism())
  console.log(
    `wampctl bench: ${settings.rounds} round(s), warm-up ${settings.warmupMs} ms, window ${settings.windowMs} ms, ` +
      `${settings.pin && canPin ? 'router on CPU 0, load on CPU 1' : 'no pinning'}; nproc ${machine.nproc}, node ${machine.node}, load ${machine.loadAtStart}`,
  )
  if (settings.routingOnly || settings.clusterOnly) {
    if (settings.routingOnly) await routingSection(settings)
    if (settings.clusterOnly) {
      const section = await clusterSection(settings)
      if (settings.writeCluster) {
        replaceClusterSection(resultsPath, section)
        console.log(`\nwrote the "Router cluster" section of ${resultsPath}`)
      }
    }
    console.log(`done in ${num((Date.now() - startedAt.getTime()) / 1000)} s`)
    return 0
  }
  const all = await runRounds(settings)
  const routing = settings.routing ? await routingSection(settings) : ''
  const cluster = settings.cluster ? await clusterSection(settings) : ''
  const statsNs = statsWorkNsPerCall()
  const summaries = summarize(all)
  const seconds = (Date.now() - startedAt.getTime()) / 1000

  console.log(`\nShared roundrobin RPC, 4 callees, 4 callers × 32 in flight (median of ${settings.rounds}):\n`)
  console.log(renderText(rpcTable(summaries)))
  console.log('\nTransports (wampctl, extensions on; TLS capacity cost = 1 − µs/call in the clear ÷ with TLS):\n')
  console.log(renderText(transportTable(summaries)))
  console.log('\nPer-callee statistics cost (wampctl ext off vs no stats; capacity cost = 1 − µs/call without ÷ with):\n')
  console.log(renderText(statsCostTable(summaries, statsNs)))
  if (settings.pubsub) {
    console.log('\nPub/sub, 10 subscribers, 1 publisher × 32 acknowledged publishes in flight:\n')
    console.log(renderText(pubsubTable(summaries)))
  }
  const checks = checkTargets(summaries, statsNs)
  console.log('\nTargets:')
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.what}: ${c.got}`)
  if (settings.write) {
    writeResults(resultsPath, summaries, statsNs, settings, machine, startedAt, seconds, routing, cluster)
    console.log(`\nwrote ${resultsPath}`)
  }
  console.log(`done in ${num(seconds)} s`)
  const missed = checks.filter((c) => !c.pass)
  if (settings.check && missed.length > 0) {
    console.error(`bench: ${missed.length} target(s) missed: ${missed.map((c) => c.what).join('; ')}`)
    return 1
  }
  return 0
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`bench: ${signal}; stopping the router and load-generator processes`)
    void Promise.all([stopAllChildren(), nats?.close()]).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  })
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    await Promise.all([stopAllChildren(), nats?.close()])
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}`)
      process.exit(2)
    }
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  },
)
