import type { BenchSerializer } from './codec.js'
import type { PubSubShape, PubSubWindow } from './pubsub.js'
import type { RpcShape, RpcWindow } from './rpc.js'

/** What bench/run.ts asks one load-generator process to do. */
export type LoadPlan = {
  url: string
  /** Where the RPC callees connect (another node of a router cluster, bench/cluster.ts); default `url`. */
  calleeUrl?: string
  /** Where the pub/sub subscribers connect (another node of a router cluster, bench/cluster.ts); default `url`. */
  subscriberUrl?: string
  realm: string
  serializer: BenchSerializer
  warmupMs: number
  windowMs: number
} & ({ kind: 'rpc'; rpc: RpcShape } | { kind: 'pubsub'; pubsub: PubSubShape })

/** Messages from the load-generator process to bench/run.ts, in this order. */
export type LoadMessage =
  | { type: 'ready' }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | { type: 'result'; window: RpcWindow | PubSubWindow; loadCpuPercent: number }
  | { type: 'error'; message: string }
