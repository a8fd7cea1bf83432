/** Command-line settings of `npm run bench` (node dist/bench/run.js [flags]). */
export interface BenchSettings {
  rounds: number
  warmupMs: number
  windowMs: number
  pin: boolean
  pubsub: boolean
  /** The routing scenario (heterogeneous callees under each policy, bench/routing.ts). */
  routing: boolean
  /** Only the routing scenario (--routing). */
  routingOnly: boolean
  /** The cluster scenario (bench/cluster.ts: nats-server and two router nodes). */
  cluster: boolean
  /** Only the cluster scenario (--cluster). */
  clusterOnly: boolean
  /** Only the cluster scenario, and put its section into RESULTS.md in place of the old one (--write-cluster). */
  writeCluster: boolean
  /** Write bench/RESULTS.md. */
  write: boolean
  /** Exit 1 when a target is missed. */
  check: boolean
}

export const USAGE = `usage: node dist/bench/run.js [--rounds N] [--warmup MS] [--window MS] [--quick] [--no-pin] [--no-pubsub] [--routing | --no-routing] [--cluster | --write-cluster | --no-cluster] [--no-write] [--check]`

export class UsageError extends Error {}

function bounded(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} needs an integer in [${min}, ${max}], got ${value ?? 'nothing'}`)
  return n
}

/** The defaults keep `npm run bench` under about three minutes on a 2-core machine. */
export const DEFAULT_SETTINGS: Readonly<BenchSettings> = {
  rounds: 3,
  warmupMs: 1000,
  windowMs: 3500,
  pin: true,
  pubsub: true,
  routing: true,
  routingOnly: false,
  cluster: true,
  clusterOnly: false,
  writeCluster: false,
  write: true,
  check: false,
}

export function parseSettings(argv: readonly string[]): BenchSettings {
  const s: BenchSettings = { ...DEFAULT_SETTINGS }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!
    switch (flag) {
      case '--rounds':
        s.rounds = bounded(flag, argv[++i], 1, 20)
        break
      case '--warmup':
        s.warmupMs = bounded(flag, argv[++i], 0, 60_000)
        break
      case '--window':
        s.windowMs = bounded(flag, argv[++i], 500, 60_000)
        break
      case '--quick':
        Object.assign(s, { rounds: 1, warmupMs: 1000, windowMs: 2000, write: false })
        break
      case '--no-pin':
        s.pin = false
        break
      case '--no-pubsub':
        s.pubsub = false
        break
      case '--routing':
        s.routing = true
        s.routingOnly = true
        s.write = false
        break
      case '--no-routing':
        s.routing = false
        break
      case '--cluster':
        s.cluster = true
        s.clusterOnly = true
        s.write = false
        break
      case '--write-cluster':
        Object.assign(s, { cluster: true, clusterOnly: true, write: false, writeCluster: true })
        break
      case '--no-cluster':
        s.cluster = false
        break
      case '--no-write':
        s.write = false
        break
      case '--check':
        s.check = true
        break
      default:
        throw new UsageError(`unknown flag ${flag}\n${USAGE}`)
    }
  }
  return s
}
