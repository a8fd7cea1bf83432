import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { startChild, type BenchChild } from './children.js'
import { startLoadGenerator } from './load-child.js'
import type { RouterMessage } from './child-ipc.js'
import type { BenchSerializer } from './load/codec.js'
import type { LoadMessage, LoadPlan } from './load/plan.js'
import type { PubSubShape, PubSubWindow } from './load/pubsub.js'
import type { RpcShape, RpcWindow } from './load/rpc.js'
import type { RouterTarget } from './targets.js'
import { machineBusyUs, routerUsage, type Usage } from './usage.js'

const here = dirname(fileURLToPath(import.meta.url))

export interface Timing {
  warmupMs: number
  windowMs: number
  /** Pin the router to CPU 0 and the load generator to CPU 1. */
  pin: boolean
}

/** What one run of one router × serializer × scenario measured. */
export interface Measurement {
  round: number
  target: string
  serializer: BenchSerializer
  kind: 'rpc' | 'pubsub'
  /** Calls (rpc) or delivered events (pubsub) per second. */
  perSecond: number
  p50Ms: number
  p99Ms: number
  /** Router CPU (user + system, all threads) per call or per delivered event, µs. */
  cpuUsPer: number
  /** Router CPU over the window, % of one core. */
  cpuPercent: number
  /** The load generator's CPU over the window, % of one core (near 100: it limits the rate). */
  loadCpuPercent: number
  /** CPU the rest of the machine (other engineers' work) used over the window, % of one core; NaN without /proc. */
  othersCpuPercent: number
  rssMiB: number
  /** max/min of per-callee (per-subscriber) counts; Infinity when one got none. */
  spread: number
  shares: number[]
}

/**
 * One measurement: a fresh router child, a fresh load-generator child, warm-up, then a fixed
 * window bracketed by two samples of the router's CPU. Both children are stopped by PID whatever
 * happens.
 */
export async function measure(
  target: RouterTarget,
  serializer: BenchSerializer,
  scenario: { kind: 'rpc'; rpc: RpcShape } | { kind: 'pubsub'; pubsub: PubSubShape },
  timing: Timing,
  round: number,
): Promise<Measurement> {
  const what = `${target.label} ${serializer} ${scenario.kind}`
  const router = startChild<RouterMessage>(
    `${target.label} router`,
    join(here, target.script),
    JSON.stringify(target.options),
    timing.pin ? 0 : undefined,
  )
  let load: BenchChild<LoadMessage> | undefined
  try {
    const ready = await router.next((m) => m.type === 'ready' || m.type === 'error', 15_000, 'ready message')
    if (ready.type === 'error') throw new Error(`${what}: ${ready.message}`)
    if (ready.type !== 'ready') throw new Error(`${what}: unexpected message from the router`)
    const plan: LoadPlan = {
      url: ready.url ?? `ws://127.0.0.1:${ready.port}${ready.path}`,
      realm: target.realm,
      serializer,
      warmupMs: timing.warmupMs,
      windowMs: timing.windowMs,
      ...scenario,
    }
    const generator = startLoadGenerator(what, plan, timing.pin)
    load = generator.child
    const step = generator.step
    await step('ready', 15_000)
    await step('window-start', timing.warmupMs + 10_000)
    const before = await routerUsage(router)
    const machineBefore = machineBusyUs()
    await step('window-end', timing.windowMs + 10_000)
    const after = await routerUsage(router)
    const machineAfter = machineBusyUs()
    const result = await step('result', 15_000)
    if (result.type !== 'result') throw new Error(`${what}: no result`)
    await load.exited
    const m =
      scenario.kind === 'rpc'
        ? fromRpc(target.label, serializer, result.window as RpcWindow, before, after)
        : fromPubSub(target.label, serializer, result.window as PubSubWindow, before, after)
    const windowUs = (after.at - before.at) * 1000
    const machinePercent =
      machineBefore === undefined || machineAfter === undefined ? NaN : (100 * (machineAfter - machineBefore)) / windowUs
    const othersCpuPercent = Math.max(0, machinePercent - m.cpuPercent - result.loadCpuPercent)
    return { ...m, round, loadCpuPercent: result.loadCpuPercent, othersCpuPercent }
  } finally {
    await load?.stop()
    await router.stop()
  }
}

function spreadOf(counts: readonly number[]): number {
  const min = Math.min(...counts)
  return min === 0 ? Infinity : Math.max(...counts) / min
}

function cpu(before: Usage, after: Usage): { us: number; percent: number } {
  const us = after.cpuUs - before.cpuUs
  return { us, percent: (100 * us) / ((after.at - before.at) * 1000) }
}

function fromRpc(
  target: string,
  serializer: BenchSerializer,
  w: RpcWindow,
  before: Usage,
  after: Usage,
): Omit<Measurement, 'loadCpuPercent' | 'othersCpuPercent' | 'round'> {
  if (w.errors > 0) throw new Error(`${target} ${serializer} rpc: ${w.errors} call(s) failed, first: ${w.firstError ?? '?'}`)
  if (w.calls === 0) throw new Error(`${target} ${serializer} rpc: no call completed in the measured window`)
  const c = cpu(before, after)
  return {
    target,
    serializer,
    kind: 'rpc',
    perSecond: w.calls / w.seconds,
    p50Ms: w.p50Ms,
    p99Ms: w.p99Ms,
    cpuUsPer: c.us / w.calls,
    cpuPercent: c.percent,
    rssMiB: after.rssBytes / 2 ** 20,
    spread: spreadOf(w.perCallee),
    shares: w.perCallee,
  }
}

function fromPubSub(
  target: string,
  serializer: BenchSerializer,
  w: PubSubWindow,
  before: Usage,
  after: Usage,
): Omit<Measurement, 'loadCpuPercent' | 'othersCpuPercent' | 'round'> {
  if (w.errors > 0) throw new Error(`${target} ${serializer} pubsub: ${w.errors} publish(es) failed, first: ${w.firstError ?? '?'}`)
  if (w.events === 0) throw new Error(`${target} ${serializer} pubsub: no event delivered in the measured window`)
  const c = cpu(before, after)
  return {
    target,
    serializer,
    kind: 'pubsub',
    perSecond: w.events / w.seconds,
    p50Ms: w.p50Ms,
    p99Ms: w.p99Ms,
    cpuUsPer: c.us / w.events,
    cpuPercent: c.percent,
    rssMiB: after.rssBytes / 2 ** 20,
    spread: spreadOf(w.perSubscriber),
    shares: w.perSubscriber,
  }
}
