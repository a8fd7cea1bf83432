import { pickCallee } from '../src/router/invocation-policy.js'
import { Callee, Registration, type InvokePolicy } from '../src/router/registration.js'
import type { Session } from '../src/router/session.js'

/**
 * The routing decision alone, timed in isolation: pick a callee and account the call in flight
 * (start and end, as the dealer does around INVOCATION and YIELD), for K callees. End-to-end runs
 * on a shared 2-core machine cannot resolve differences of tens of nanoseconds; this can. Best of
 * `repeats` runs, ns per call.
 */
export interface PickCost {
  policy: string
  callees: number
  ns: number
}

function registration(invoke: InvokePolicy, k: number): Registration {
  const reg = new Registration(1, 'bench.pick', 'exact', invoke)
  for (let i = 0; i < k; i++) reg.add(new Callee(reg, { id: 7_000_000 + i * 7919 } as unknown as Session, false))
  return reg
}

function timePicks(reg: Registration, keys: readonly string[] | undefined, iterations: number, repeats: number): number {
  let best = Infinity
  const ladder = reg.ladder
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) {
      const c = pickCallee(reg, undefined, keys === undefined ? undefined : keys[i % keys.length])!
      c.inflight++
      ladder?.started(c)
      c.inflight--
      ladder?.finished(c, true)
    }
    const ns = Number(process.hrtime.bigint() - t0) / iterations
    if (ns < best) best = ns
  }
  return best
}

export function routingPickCosts(sizes: readonly number[] = [4, 100, 1000], iterations = 200_000, repeats = 5): PickCost[] {
  measurePicks(sizes, Math.max(1, iterations / 20), 1) // warm-up: let the JIT settle first
  return measurePicks(sizes, iterations, repeats)
}

function measurePicks(sizes: readonly number[], iterations: number, repeats: number): PickCost[] {
  const keys = Array.from({ length: 1000 }, (_, i) => `user-${i}`)
  const out: PickCost[] = []
  for (const k of sizes) {
    for (const policy of ['roundrobin', 'random', 'least_loaded'] as const) {
      out.push({ policy, callees: k, ns: timePicks(registration(policy, k), undefined, iterations, repeats) })
    }
    // rkey: O(K) per call; fewer iterations at large K keep the run short.
    const n = Math.max(2_000, Math.floor(iterations / Math.max(1, k / 10)))
    out.push({ policy: 'roundrobin + rkey', callees: k, ns: timePicks(registration('roundrobin', k), keys, n, repeats) })
  }
  return out
}
