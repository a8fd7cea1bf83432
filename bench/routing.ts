import { measure, type Measurement, type Timing } from './measure.js'
import type { RpcShape } from './load/rpc.js'
import { median, num, type Table } from './table.js'
import { OURS } from './targets.js'

/**
 * The routing scenario (issue 14): heterogeneous callees — one slow (serves one call at a time,
 * SLOW_MS each), three fast — behind one registration, 4 callers × 32 calls in flight, msgpack.
 * The same load under each routing choice, in the same run: what each does to calls/s and
 * latency, and the router CPU per call each costs.
 */
export const SLOW_MS = 1

const BASE: RpcShape = { callees: 4, callers: 4, inflight: 32, slowMs: SLOW_MS }

export const ROUTING_SCENARIOS: ReadonlyArray<{ label: string; shape: RpcShape }> = [
  { label: 'roundrobin', shape: { ...BASE, invoke: 'roundrobin' } },
  { label: 'least_loaded', shape: { ...BASE, invoke: 'least_loaded' } },
  { label: 'roundrobin, slow one capped at 4', shape: { ...BASE, invoke: 'roundrobin', slowConcurrency: 4 } },
  { label: 'roundrobin, all capped at 16 (queue)', shape: { ...BASE, invoke: 'roundrobin', slowConcurrency: 16, concurrency: 16 } },
  { label: 'roundrobin + rkey (1000 keys)', shape: { ...BASE, invoke: 'roundrobin', rkeys: 1000 } },
]

export interface RoutingRow {
  label: string
  runs: Measurement[]
}

export async function runRouting(timing: Timing, rounds: number, log: (line: string) => void): Promise<RoutingRow[]> {
  const rows: RoutingRow[] = ROUTING_SCENARIOS.map((s) => ({ label: s.label, runs: [] }))
  for (let round = 1; round <= rounds; round++) {
    for (const [i, s] of ROUTING_SCENARIOS.entries()) {
      const m = await measure(OURS, 'msgpack', { kind: 'rpc', rpc: s.shape }, timing, round)
      rows[i]!.runs.push(m)
      log(
        `  round ${round}/${rounds}  ${s.label.padEnd(38)} ${num(m.perSecond).padStart(9)} calls/s  p99 ${num(m.p99Ms, 2).padStart(7)} ms  ${num(m.cpuUsPer, 2).padStart(6)} µs CPU  others ${num(m.othersCpuPercent).padStart(3)}%`,
      )
    }
  }
  return rows
}

/** Medians over the rounds; "slow share" is the slow callee's part of the calls served. */
export function routingTable(rows: readonly RoutingRow[]): Table {
  return {
    headers: ['routing', 'calls/s', 'p50 ms', 'p99 ms', 'slow callee share', 'CPU µs/call', 'CPU %', 'others CPU %'],
    rows: rows.map((r) => {
      const pick = (f: (m: Measurement) => number): number => median(r.runs.map(f))
      const share = pick((m) => m.shares[0]! / m.shares.reduce((a, b) => a + b, 0))
      return [
        r.label,
        num(pick((m) => m.perSecond)),
        num(
          pick((m) => m.p50Ms),
          2,
        ),
        num(
          pick((m) => m.p99Ms),
          2,
        ),
        `${num(100 * share, 1)}%`,
        num(
          pick((m) => m.cpuUsPer),
          2,
        ),
        num(pick((m) => m.cpuPercent)),
        num(pick((m) => m.othersCpuPercent)),
      ]
    }),
    right: new Set([1, 2, 3, 4, 5, 6, 7]),
  }
}
