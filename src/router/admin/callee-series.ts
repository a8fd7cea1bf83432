import { BUCKET_COUNT, BUCKETS_PER_OCTAVE } from '../call-stats.js'
import type { Realm } from '../realm.js'
import type { Callee } from '../registration.js'

/**
 * The per-(registration, callee) rows /metrics exports, and how their number is capped.
 *
 * Two labels grow with what peers do: `procedure` (one per registered URI) and `session` (one per
 * callee session, new on every reconnect). So at most `maxCalleeSeries` callees get rows of their
 * own: the first ones in realm, registration and callee order (the oldest, so the set is stable
 * from scrape to scrape while they live and no counter jumps between a row and the aggregate);
 * every callee beyond the cap is summed into one row per realm with procedure="#other" (never a
 * WAMP URI: '#' is not allowed in one) and match, session and authid "other".
 */

/** Exported latency bucket bounds: every power of two from 32 µs to 16.8 s (octaves of CallStats' buckets). */
const FIRST_OCTAVE = 5
const LAST_OCTAVE = 24
export const DURATION_BOUNDS_S: readonly number[] = Array.from(
  { length: LAST_OCTAVE - FIRST_OCTAVE + 1 },
  (_, i) => 2 ** (FIRST_OCTAVE + i) / 1e6,
)

export const OTHER_PROCEDURE = '#other'

export interface CalleeRow {
  labels: { realm: string; procedure: string; match: string; session: string; authid: string }
  calls: number
  errors: number
  inflight: number
  /** Finished calls at or under each of DURATION_BOUNDS_S (cumulative, as Prometheus wants). */
  buckets: number[]
  finished: number
  totalSeconds: number
}

export interface CalleeSeries {
  rows: CalleeRow[]
  /** How many callees were summed into "#other" rows. */
  aggregated: number
}

export function calleeSeries(realms: Iterable<Realm>, maxCalleeSeries: number): CalleeSeries {
  const rows: CalleeRow[] = []
  let aggregated = 0
  const histogram = new Float64Array(BUCKET_COUNT)
  for (const realm of realms) {
    let other: { row: CalleeRow; histogram: Float64Array } | undefined
    for (const reg of realm.dealer.byId.values()) {
      for (const callee of reg.callees) {
        if (rows.length < maxCalleeSeries) {
          const row = emptyRow(realm.name, reg.uri, reg.match, String(callee.session.id), callee.session.authid)
          add(row, callee, histogram.fill(0))
          row.buckets = cumulative(histogram)
          rows.push(row)
        } else {
          aggregated++
          other ??= { row: emptyRow(realm.name, OTHER_PROCEDURE, 'other', 'other', 'other'), histogram: new Float64Array(BUCKET_COUNT) }
          add(other.row, callee, other.histogram)
        }
      }
    }
    if (other !== undefined) {
      other.row.buckets = cumulative(other.histogram)
      rows.push(other.row)
    }
  }
  return { rows, aggregated }
}

function add(row: CalleeRow, callee: Callee, histogram: Float64Array): void {
  const stats = callee.stats
  row.calls += stats.calls
  row.errors += stats.errors
  row.inflight += callee.inflight
  row.finished += stats.finished
  row.totalSeconds += stats.totalMs / 1000
  stats.addHistogramTo(histogram)
}

function emptyRow(realm: string, procedure: string, match: string, session: string, authid: string): CalleeRow {
  return {
    labels: { realm, procedure, match, session, authid },
    calls: 0,
    errors: 0,
    inflight: 0,
    buckets: [],
    finished: 0,
    totalSeconds: 0,
  }
}

/**
 * CallStats bucket i counts calls faster than 2^((i+1)/BUCKETS_PER_OCTAVE) µs, so the calls at or
 * under 2^k µs are those of buckets 0 … k·BUCKETS_PER_OCTAVE − 1.
 */
function cumulative(h: Float64Array): number[] {
  const out: number[] = []
  let acc = 0
  let i = 0
  for (let k = FIRST_OCTAVE; k <= LAST_OCTAVE; k++) {
    for (; i < k * BUCKETS_PER_OCTAVE; i++) acc += h[i]!
    out.push(acc)
  }
  return out
}
