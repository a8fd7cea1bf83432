import type { Callee } from './registration.js'

/**
 * Rendezvous (highest-random-weight) hashing for sticky routing keys (CALL option `rkey`): every
 * callee that can take the call scores the key, the highest score wins. A callee coming, going,
 * cordoned or drained moves only the keys it wins or won (≈ keys ÷ callees), whichever callee it
 * is; jump consistent hash, by contrast, moves keys when any callee but the last leaves.
 *
 * Cost: one string hash per call plus one integer mix per callee, O(callees): a few ns per callee
 * (`bench/routing-micro.ts`, figures in docs/routing.md). Weighted registrations use the logarithmic method (score =
 * weight ÷ −ln u), which gives each callee a share of keys proportional to its weight.
 */

/**
 * murmur3's 32-bit finalizer (every input bit flips every output bit with probability ½), cut to
 * its top 30 bits: small integers (Smis) that V8 stores and compares without boxing.
 */
export function mix30(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 2
}

const SCORES = 0x4000_0000 // 2^30 possible scores

/** FNV-1a over the key's UTF-16 code units, finalized. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return mix30(h)
}

/** A callee's hash identity, from its session id (up to 2^53). */
export function calleeSeed(sessionId: number): number {
  return mix30((sessionId >>> 0) ^ mix30(Math.floor(sessionId / 0x1_0000_0000) + 0x9e3779b9))
}

/**
 * The callee that `key` goes to among those that can take a call now (in rotation, under their
 * concurrency cap) and are not in `exclude` (call rerouting), or undefined.
 */
export function rendezvous(
  callees: readonly Callee[],
  key: string,
  weighted: boolean,
  exclude: ReadonlySet<Callee> | undefined,
): Callee | undefined {
  const h = keyHash(key)
  let best: Callee | undefined
  let bestScore = -1
  for (let i = 0; i < callees.length; i++) {
    const c = callees[i]!
    if (!c.canTake || (exclude !== undefined && exclude.has(c))) continue
    const r = mix30(h ^ c.seed)
    // (r + 0.5) / 2^30 is uniform in (0, 1): never 0 or 1, so the logarithm is finite and negative.
    const score = weighted ? c.weight / -Math.log((r + 0.5) / SCORES) : r
    if (score > bestScore) {
      best = c
      bestScore = score
    }
  }
  return best
}
