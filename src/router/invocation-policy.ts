import type { Callee, Registration } from './registration.js'

/**
 * Picks the callee for the next invocation of a registration, by its invoke policy, among eligible
 * callees (active and weight > 0). `exclude` holds callees already tried (call rerouting).
 *
 * Unweighted roundrobin and random do O(1) work per call while every callee is eligible; weights,
 * cordoned callees or exclusions cost O(callees) per call.
 */
export function pickCallee(reg: Registration, exclude?: ReadonlySet<Callee>): Callee | undefined {
  const callees = reg.callees
  const n = callees.length
  if (n === 0) return undefined
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
  }
}

function usable(c: Callee, exclude: ReadonlySet<Callee> | undefined): boolean {
  return c.eligible && (exclude === undefined || !exclude.has(c))
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
