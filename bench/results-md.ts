import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg, release } from 'node:os'
import { checkTargets, pubsubTable, rpcTable, statsCostTable, type Summary } from './report.js'
import { transportTable } from './transport-report.js'
import { num, renderMarkdown } from './table.js'
import { DEFAULT_SETTINGS, type BenchSettings } from './settings.js'

export interface Machine {
  nproc: number
  node: string
  cpu: string
  kernel: string
  loadAtStart: string
}

/** `nproc` and `node --version` as the shell reports them (os figures when a tool is missing). */
export function machineFacts(fallbackNproc: number): Machine {
  const run = (cmd: string, args: string[]): string | undefined => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', timeout: 5000 }).trim()
    } catch {
      return undefined
    }
  }
  return {
    nproc: Number(run('nproc', [])) || fallbackNproc,
    node: run(process.execPath, ['--version']) ?? process.version,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    loadAtStart: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  }
}

/** bench/RESULTS.md: the latest figures, the machine they come from, and how to get them again. */
export function writeResults(
  path: string,
  summaries: readonly Summary[],
  statsNs: number,
  settings: BenchSettings,
  machine: Machine,
  startedAt: Date,
  seconds: number,
  /** The routing scenario's section (bench/routing.ts), when it ran. */
  routingMd = '',
  /** The cluster scenario's section (bench/cluster.ts), when it ran. */
  clusterMd = '',
): void {
  const checks = checkTargets(summaries, statsNs)
  const perRound = summaries.map((s) => [
    `${s.target} ${s.serializer} ${s.kind}`,
    s.perRound.map((r) => num(r.perSecond)).join(', '),
    s.perRound.map((r) => num(r.cpuUsPer, 2)).join(', '),
  ])
  const hasPubSub = summaries.some((s) => s.kind === 'pubsub')
  const md = `# Bench results

Latest \`npm run bench\` on ${startedAt.toISOString().slice(0, 10)} (${startedAt.toISOString()}), ${num(seconds)} s in all.
Each figure is the **median of ${settings.rounds} round(s)**; every round starts a fresh router child
and a fresh load-generator child per row. The machine is shared with other engineers' test runs,
so absolute figures are noisy: compare the ratios within one run, and router CPU per call.

Machine: \`nproc\` = ${machine.nproc}, \`node --version\` = ${machine.node}, ${machine.cpu}, Linux ${machine.kernel},
load average at start ${machine.loadAtStart}.
Settings: warm-up ${settings.warmupMs} ms, measured window ${settings.windowMs} ms,
${settings.pin ? 'router pinned to CPU 0 and load generator to CPU 1 (taskset)' : 'no CPU pinning'}.

## Shared \`roundrobin\` RPC: 4 callees, 4 callers × 32 calls in flight

${renderMarkdown(rpcTable(summaries))}

- calls/s and latency (CALL sent → RESULT received, per call) are measured by the callers.
- CPU µs/call: the router process's user + system CPU over the measured window (from
  \`/proc/<pid>/stat\`), divided by the calls completed in that window. CPU % is the router's,
  load CPU % the load generator's (its own \`process.cpuUsage()\`), others CPU % what the rest of
  the machine used meanwhile (\`/proc/stat\` minus both); all in % of one core, of 200% in all.
  When router and load generator both sit well under 100%, the neighbours set the rate: compare
  CPU per call, which depends far less on them.
- spread: max/min invocations per callee in the window. fox-wamp ignores \`invoke\`, so one callee
  gets every call (∞).
- fox-wamp speaks only \`wamp.2.json\`: our msgpack rows are compared with fox-wamp over JSON.
- \`ext off\`: \`extensions: false\` (no \`wampctl.*\` procedures), statistics still kept.
  \`no stats\`: also \`callStats: false\` (a bench-only router option).

## Transports: WebSocket and RawSocket, in the clear and over TLS

${renderMarkdown(transportTable(summaries))}

- Same router (extensions on), same load; the load generator speaks RawSocket with its own framing
  (\`bench/load/links.ts\`). TLS uses a throwaway P-256 certificate; the load generator's side
  of TLS runs in the load process, so only the router's share is in CPU µs/call.
- TLS capacity cost: 1 − (µs/call in the clear) ÷ (µs/call with TLS), against the same transport.

## What the per-callee statistics cost (issue 3 target: under 10%)

${renderMarkdown(statsCostTable(summaries, statsNs))}

- capacity cost A/B: a saturated router's calls/s is 1 / (CPU per call), so the statistics cost
  1 − (µs/call no stats) ÷ (µs/call stats) of its throughput. Measured calls/s is shown but not used:
  here it is set by the load generator and the neighbours' CPU use as often as by the router.
- stats ns/call alone: the dealer's statistics work per call (clock reads, counters, histogram
  bucket) timed in isolation (\`bench/stats-micro.ts\`, best of 5 × 1M calls); share of µs/call
  relates it to the router CPU per call of \`ext off\`. An A/B difference of a few percent is
  within this machine's noise; the isolated figure is the steadier one.
${hasPubSub ? `\n## Pub/sub: 10 subscribers, 1 publisher × 32 acknowledged publishes in flight\n\n${renderMarkdown(pubsubTable(summaries))}\n\nevents/s counts EVENTs received by all subscribers; ack latency is PUBLISH → PUBLISHED.\n` : ''}
${routingMd}${clusterMd}## Targets

${checks.map((c) => `- ${c.pass ? 'PASS' : 'MISS'} ${c.what}: ${c.got}`).join('\n')}

## Every round

${renderMarkdown({ headers: ['case', 'per second, each round', 'router CPU µs per call/event, each round'], rows: perRound })}

## Reproduce

\`\`\`
npm run bench                       # build, then ${DEFAULT_SETTINGS.rounds} rounds of ${DEFAULT_SETTINGS.windowMs} ms windows; writes this file
npm run build && node dist/bench/run.js --rounds 5 --window 5000 --warmup 1500
node dist/bench/run.js --quick      # 1 short round, does not write this file
node dist/bench/run.js --cluster    # only the cluster scenario (needs nats-server), does not write this file
node dist/bench/run.js --write-cluster  # the same, and replaces this file's "Router cluster" section
node dist/bench/run.js --check      # exit 1 when a target is missed
\`\`\`

The load generator (\`bench/load/\`) is a raw \`ws\` client with hand-made WAMP frames (JSON via
\`JSON.stringify\`/\`parse\`, msgpack via msgpackr) that batches its writes per event-loop tick like
the router does; it runs in its own process, on the other core.
`
  writeFileSync(path, md)
}
