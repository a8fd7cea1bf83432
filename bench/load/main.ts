/**
 * The load-generator process: `node dist/bench/load/main.js '<LoadPlan JSON>'`, started by
 * bench/run.ts with an IPC channel. It sets up its sessions, warms up, then tells the parent when
 * the measured window starts and ends (the parent samples the router's CPU at those moments) and
 * sends the window's figures. Every wait is bounded; any failure is one `error` message and exit 1.
 */
import { codecFor } from './codec.js'
import type { LoadPlan, LoadMessage } from './plan.js'
import { PubSubLoad } from './pubsub.js'
import { RpcLoad } from './rpc.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function tell(m: LoadMessage): void {
  process.send?.(m)
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '') as LoadPlan
  const codec = codecFor(plan.serializer)
  const load =
    plan.kind === 'rpc'
      ? new RpcLoad(plan.url, codec, plan.rpc, plan.calleeUrl)
      : new PubSubLoad(plan.url, codec, plan.pubsub, plan.subscriberUrl)
  await load.setUp(plan.realm)
  tell({ type: 'ready' })
  load.start()
  await sleep(plan.warmupMs)
  load.markWindowStart()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  tell({ type: 'window-start' })
  await sleep(plan.windowMs)
  tell({ type: 'window-end' })
  const cpu = process.cpuUsage(cpu0)
  // The load generator's own CPU: near 100% means it, not the router, limits the rate.
  const loadCpuPercent = (100 * (cpu.user + cpu.system)) / ((performance.now() - t0) * 1000)
  const window = load.readWindow()
  tell({ type: 'result', window, loadCpuPercent })
  await load.stop(1000)
}

// A load generator must never outlive its parent.
process.on('disconnect', () => process.exit(0))

main().then(
  () => process.exit(0),
  (err: unknown) => {
    tell({ type: 'error', message: err instanceof Error ? err.message : String(err) })
    process.exit(1)
  },
)
