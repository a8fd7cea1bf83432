import type { BenchSerializer } from './load/codec.js'
import type { Measurement } from './measure.js'
import { median, num, type Table } from './table.js'
import { FOX, OURS, OURS_NO_EXTENSIONS, OURS_NO_STATS } from './targets.js'

/** The median of each figure over the rounds of one router × serializer × scenario. */
export interface Summary {
  target: string
  serializer: BenchSerializer
  kind: 'rpc' | 'pubsub'
  rounds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  cpuUsPer: number
  cpuPercent: number
  rssMiB: number
  spread: number
  perRound: Array<{ perSecond: number; cpuUsPer: number }>
}

/** The targets (issue 2 "Fast from the start", issue 3 statistics cost). */
export const TARGETS = { minFoxRatio: 2.5, maxCpuUsPerCall: 9, maxSpread: 1.01, maxStatsCost: 0.1 }

export function summarize(all: readonly Measurement[]): Summary[] {
  const groups = new Map<string, Measurement[]>()
  for (const m of all) {
    const key = `${m.kind}\u0000${m.target}\u0000${m.serializer}`
    groups.set(key, [...(groups.get(key) ?? []), m])
  }
  return [...groups.values()].map((ms) => {
    const pick = (f: (m: Measurement) => number): number => median(ms.map(f))
    return {
      target: ms[0]!.target,
      serializer: ms[0]!.serializer,
      kind: ms[0]!.kind,
      rounds: ms.length,
      perSecond: pick((m) => m.perSecond),
      p50Ms: pick((m) => m.p50Ms),
      p99Ms: pick((m) => m.p99Ms),
      cpuUsPer: pick((m) => m.cpuUsPer),
      cpuPercent: pick((m) => m.cpuPercent),
      rssMiB: pick((m) => m.rssMiB),
      spread: pick((m) => m.spread),
      perRound: ms.map((m) => ({ perSecond: m.perSecond, cpuUsPer: m.cpuUsPer })),
    }
  })
}

function find(s: readonly Summary[], kind: 'rpc' | 'pubsub', target: string, serializer: BenchSerializer): Summary | undefined {
  return s.find((x) => x.kind === kind && x.target === target && x.serializer === serializer)
}

/** fox-wamp speaks JSON only: every serializer of ours is compared with fox-wamp over JSON. */
function foxOf(s: readonly Summary[], kind: 'rpc' | 'pubsub'): Summary | undefined {
  return find(s, kind, FOX.label, 'json')
}

const ratio = (a: number, b: number | undefined): string => (b === undefined || !Number.isFinite(b) || b === 0 ? '—' : `${num(a / b, 2)}×`)

export function rpcTable(s: readonly Summary[]): Table {
  const fox = foxOf(s, 'rpc')
  const rows = s
    .filter((x) => x.kind === 'rpc')
    .map((x) => [
      x.target,
      x.serializer,
      num(x.perSecond),
      num(x.p50Ms, 2),
      num(x.p99Ms, 2),
      num(x.cpuUsPer, 2),
      num(x.cpuPercent),
      num(x.rssMiB, 1),
      x.spread === Infinity ? '∞ (one callee)' : num(x.spread, 3),
      x.target === FOX.label ? '1.00×' : ratio(x.perSecond, fox?.perSecond),
      x.target === FOX.label ? '1.00×' : ratio(x.cpuUsPer, fox?.cpuUsPer),
    ])
  return {
    headers: ['router', 'ser', 'calls/s', 'p50 ms', 'p99 ms', 'CPU µs/call', 'CPU %', 'RSS MiB', 'spread', 'calls/s ÷ fox', 'CPU/call ÷ fox'],
    rows,
    right: new Set([2, 3, 4, 5, 6, 7, 8, 9, 10]),
  }
}

export function pubsubTable(s: readonly Summary[]): Table {
  const fox = foxOf(s, 'pubsub')
  const rows = s
    .filter((x) => x.kind === 'pubsub')
    .map((x) => [
      x.target,
      x.serializer,
      num(x.perSecond),
      num(x.p50Ms, 2),
      num(x.p99Ms, 2),
      num(x.cpuUsPer, 2),
      num(x.cpuPercent),
      num(x.rssMiB, 1),
      x.target === FOX.label ? '1.00×' : ratio(x.perSecond, fox?.perSecond),
      x.target === FOX.label ? '1.00×' : ratio(x.cpuUsPer, fox?.cpuUsPer),
    ])
  return {
    headers: ['router', 'ser', 'events/s', 'ack p50 ms', 'ack p99 ms', 'CPU µs/event', 'CPU %', 'RSS MiB', 'events/s ÷ fox', 'CPU/event ÷ fox'],
    rows,
    right: new Set([2, 3, 4, 5, 6, 7, 8, 9]),
  }
}

/** What the per-callee statistics cost: ext off (stats kept) against no stats, per serializer. */
export function statsCostTable(s: readonly Summary[]): Table {
  const rows: string[][] = []
  for (const ser of ['json', 'msgpack'] as const) {
    const on = find(s, 'rpc', OURS_NO_EXTENSIONS.label, ser)
    const off = find(s, 'rpc', OURS_NO_STATS.label, ser)
    if (on === undefined || off === undefined) continue
    const c = statsCost(on, off)
    rows.push([ser, num(off.perSecond), num(on.perSecond), pct(c.throughput), num(off.cpuUsPer, 2), num(on.cpuUsPer, 2), pct(c.cpu)])
  }
  return {
    headers: ['ser', 'calls/s no stats', 'calls/s stats', 'throughput cost', 'µs/call no stats', 'µs/call stats', 'CPU/call cost'],
    rows,
    right: new Set([1, 2, 3, 4, 5, 6]),
  }
}

function statsCost(on: Summary, off: Summary): { throughput: number; cpu: number } {
  return { throughput: 1 - on.perSecond / off.perSecond, cpu: on.cpuUsPer / off.cpuUsPer - 1 }
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${num(100 * x, 1)}%`.replace('+-', '-')

export interface TargetCheck {
  what: string
  got: string
  pass: boolean
}

export function checkTargets(s: readonly Summary[]): TargetCheck[] {
  const out: TargetCheck[] = []
  const fox = foxOf(s, 'rpc')
  for (const ser of OURS.serializers) {
    const ours = find(s, 'rpc', OURS.label, ser)
    if (ours === undefined) continue
    if (fox !== undefined) {
      const r = ours.perSecond / fox.perSecond
      out.push({ what: `${ser}: calls/s ≥ ${TARGETS.minFoxRatio}× fox-wamp (json)`, got: `${num(r, 2)}×`, pass: r >= TARGETS.minFoxRatio })
    }
    out.push({ what: `${ser}: router CPU ≤ ${TARGETS.maxCpuUsPerCall} µs/call`, got: `${num(ours.cpuUsPer, 2)} µs`, pass: ours.cpuUsPer <= TARGETS.maxCpuUsPerCall })
    out.push({ what: `${ser}: callee share spread < ${TARGETS.maxSpread}`, got: num(ours.spread, 4), pass: ours.spread < TARGETS.maxSpread })
    const on = find(s, 'rpc', OURS_NO_EXTENSIONS.label, ser)
    const off = find(s, 'rpc', OURS_NO_STATS.label, ser)
    if (on !== undefined && off !== undefined) {
      const c = statsCost(on, off)
      // Throughput is capped by the load generator as often as by the router: the CPU per call is
      // the figure that shows the statistics' own cost, so both must stay under the target.
      const worst = Math.max(c.throughput, c.cpu)
      out.push({ what: `${ser}: statistics cost < ${100 * TARGETS.maxStatsCost}% (throughput and CPU/call)`, got: `${pct(c.throughput)} / ${pct(c.cpu)}`, pass: worst < TARGETS.maxStatsCost })
    }
  }
  return out
}
