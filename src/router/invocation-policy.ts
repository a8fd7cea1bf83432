import type { Callee, Registration } from './registration.js'
import { rendezvous } from './rendezvous.js'

/**
 * Picks the callee for the next invocation of a registration, by its invoke policy, among callees
 * that can take it (active, weight > 0, under their concurrency cap). `exclude` holds callees
 * already tried (call rerouting); `rkey` is a sticky routing key (roundrobin, random and
 * least_loaded registrations): the same key goes to the same callee while it can take calls.
 *
 * Unweighted roundrobin, random and least_loaded do O(1) work per call while every callee can take
 * calls; weights, cordoned or capped callees, exclusions and routing keys cost O(callees) per call.
 */
export function pickCallee(reg: Registration, exclude?: ReadonlySet<Callee>, rkey?: string): Callee | undefined {
  const callees = reg.callees
  const n = callees.length
  if (n === 0) return undefined
  if (rkey !== undefined && (reg.invoke === 'roundrobin' || reg.invoke === 'random' || reg.invoke === 'least_loaded'))
    return rendezvous(callees, rkey, reg.reweighted > 0, exclude)
  switch (reg.invoke) {
    case 'single':
    case 'first':
      for (let i = 0; i < n; i++) if (usable(callees[i]!, exclude)) return callees[i]
      return undefined
    case 'last':
      for (let i = n - 1; i >= 0; i--) if (usable(callees[i]!, exclude)) return callees[i]
      return undefined
    case 'roundrobin':
      return reg.reweighted > 0 ? smoothWeighted(callees, exclude) : roundRobin(reg, exclude)
    case 'random':
      return reg.reweighted > 0 ? weightedRandom(callees, exclude) : uniformRandom(callees, exclude)
    case 'least_loaded':
      return reg.reweighted > 0 || exclude !== undefined ? scanLeastLoaded(reg, exclude) : reg.ladder!.least()
  }
}

function usable(c: Callee, exclude: ReadonlySet<Callee> | undefined): boolean {
  return c.canTake && (exclude === undefined || !exclude.has(c))
}

/**
 * Whether a call that found no callee should wait for one: some callee not yet tried is in
 * rotation but at its concurrency cap (it will free a slot). Otherwise nothing can serve it.
 */
export function someoneWillHaveRoom(reg: Registration, exclude?: ReadonlySet<Callee>): boolean {
  for (const c of reg.callees) if (c.eligible && c.inflight >= c.concurrency && (exclude === undefined || !exclude.has(c))) return true
  return false
}

/**
 * least_loaded with weights (the fewest calls in flight per unit of weight, as nginx's weighted
 * least_conn) or with exclusions (rerouting): a scan, O(callees). Ties go to the first callee
 * after the one picked last, so equal loads still rotate.
 */
function scanLeastLoaded(reg: Registration, exclude: ReadonlySet<Callee> | undefined): Callee | undefined {
  const callees = reg.callees
  const n = callees.length
  const start = reg.rrNext < n ? reg.rrNext : 0
  let best: Callee | undefined
  let bestLoad = Infinity
  let bestAt = 0
  for (let k = 0; k < n; k++) {
    const i = start + k < n ? start + k : start + k - n
    const c = callees[i]!
    if (!usable(c, exclude)) continue
    const load = c.inflight / c.weight
    if (load < bestLoad) {
      best = c
      bestLoad = load
      bestAt = i
    }
  }
  if (best !== undefined) reg.rrNext = bestAt + 1 === n ? 0 : bestAt + 1
  return best
}

function roundRobin(reg: Registration, exclude: ReadonlySet<Callee> | undefined): Callee | undefined {
  const callees = reg.callees
  const n = callees.length
  let i = reg.rrNext < n ? reg.rrNext : 0
  for (let tries = 0; tries < n; tries++) {
    const c = callees[i]!
    i = i + 1 === n ? 0 : i + 1
    if (usable(c, exclude)) {
      reg.rrNext = i
      return c
    }
  }
  return undefined
}

/** nginx's smooth weighted round-robin: spreads a 5:1:1 weighting as a,a,b,a,c,a,a, not a×5,b,c. */
function smoothWeighted(callees: readonly Callee[], exclude: ReadonlySet<Callee> | undefined): Callee | undefined {
  let total = 0
  let best: Callee | undefined
  for (const c of callees) {
    if (!usable(c, exclude)) continue
    c.current += c.weight
    total += c.weight
    if (best === undefined || c.current > best.current) best = c
  }
  if (best !== undefined) best.current -= total
  return best
}

function uniformRandom(callees: readonly Callee[], exclude: ReadonlySet<Callee> | undefined): Callee | undefined {
  const c = callees[Math.floor(Math.random() * callees.length)]!
  if (usable(c, exclude)) return c
  // Some callees are out of rotation: pick uniformly among those that are not.
  const pool = callees.filter((x) => usable(x, exclude))
  return pool.length === 0 ? undefined : pool[Math.floor(Math.random() * pool.length)]
}

function weightedRandom(callees: readonly Callee[], exclude: ReadonlySet<Callee> | undefined): Callee | undefined {
  let total = 0
  for (const c of callees) if (usable(c, exclude)) total += c.weight
  if (total <= 0) return undefined
  let r = Math.random() * total
  let last: Callee | undefined
  for (const c of callees) {
    if (!usable(c, exclude)) continue
    last = c
    r -= c.weight
    if (r < 0) return c
  }
  return last
}
