import type { Summary } from './report.js'
import { num, type Table } from './table.js'
import { OURS, OURS_RS, OURS_RSS, OURS_WSS } from './targets.js'

/** The transports side by side: same router (extensions on), same RPC load, same run. */
const TRANSPORTS = [
  { name: 'WebSocket (ws)', label: OURS.label, plain: undefined },
  { name: 'RawSocket (rs)', label: OURS_RS.label, plain: undefined },
  { name: 'WebSocket + TLS (wss)', label: OURS_WSS.label, plain: OURS.label },
  { name: 'RawSocket + TLS (rss)', label: OURS_RSS.label, plain: OURS_RS.label },
] as const

/**
 * Per transport and serializer: calls/s, latency, router CPU per call, that CPU against
 * WebSocket's, and for TLS its cost in capacity against the same transport in the clear:
 * 1 − (µs/call plain) ÷ (µs/call TLS), as for the statistics (a saturated router's calls/s is
 * 1 / CPU per call).
 */
export function transportTable(s: readonly Summary[]): Table {
  const find = (label: string, ser: string): Summary | undefined =>
    s.find((x) => x.kind === 'rpc' && x.target === label && x.serializer === ser)
  const rows: string[][] = []
  for (const ser of ['json', 'msgpack'] as const) {
    const ws = find(OURS.label, ser)
    for (const t of TRANSPORTS) {
      const x = find(t.label, ser)
      if (x === undefined) continue
      const plain = t.plain === undefined ? undefined : find(t.plain, ser)
      rows.push([
        t.name,
        ser,
        num(x.perSecond),
        num(x.p50Ms, 2),
        num(x.p99Ms, 2),
        num(x.cpuUsPer, 2),
        ws === undefined ? '—' : `${num(x.cpuUsPer / ws.cpuUsPer, 2)}×`,
        plain === undefined ? '—' : pct(1 - plain.cpuUsPer / x.cpuUsPer),
      ])
    }
  }
  const headers = ['transport', 'ser', 'calls/s', 'p50 ms', 'p99 ms', 'CPU µs/call', 'CPU/call ÷ ws', 'TLS capacity cost']
  return { headers, rows, right: new Set([2, 3, 4, 5, 6, 7]) }
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${num(100 * x, 1)}%`.replace('+-', '-')
