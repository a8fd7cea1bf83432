import { Encoder as CborEncoder } from 'cbor-x'
import { Packr } from 'msgpackr'

/**
 * Seeded generator of hostile WAMP frames for the fuzz test (test/router/fuzz.test.ts) and the
 * long fuzz run (bench/fuzz.ts): valid messages of every type a peer can send (and some only a
 * router sends), with fields replaced by random values of every kind (ids out of range, bignums,
 * deep nesting, wrong types, null), then sometimes mutated as bytes (bit flips, truncation,
 * splices). Same seed, same frames: a failure is reproducible with its seed.
 */

export type FuzzSerializer = 'json' | 'msgpack' | 'cbor'
export const FUZZ_SERIALIZERS: FuzzSerializer[] = ['json', 'msgpack', 'cbor']

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export class Prng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }

  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }
}

// The fuzzer's own codecs, independent of the router's (and willing to write what the router refuses).
const packr = new Packr({ useRecords: false, variableMapSize: true, mapsAsObjects: true })
const cbor = new CborEncoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true } as ConstructorParameters<
  typeof CborEncoder
>[0])

export function encodeFuzz(ser: FuzzSerializer, message: unknown): Buffer | string {
  if (ser === 'json') return JSON.stringify(message, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))
  if (ser === 'msgpack') return packr.pack(message)
  return cbor.encode(message)
}

const URIS = [
  'com.example.alive',
  'com.fuzz.proc',
  'com.fuzz.topic',
  'wamp.session.count',
  'wamp.session.get',
  'wamp.session.kill_all',
  'wampctl.registration.snapshot',
  'com..bad',
  '',
  'x'.repeat(300),
]
const STRINGS = [
  '',
  'a',
  'killnowait',
  'kill',
  'skip',
  'exact',
  'prefix',
  'wildcard',
  'roundrobin',
  'random',
  'first',
  'last',
  'single',
  '\0AAEC',
  '\u0000',
  'é',
  '🙂',
  'wamp.error.invalid_argument',
  'anonymous',
  'admin',
]
const OPTION_KEYS = [
  'timeout',
  'receive_progress',
  'disclose_me',
  'progress',
  'acknowledge',
  'exclude_me',
  'exclude',
  'eligible',
  'exclude_authid',
  'eligible_authid',
  'exclude_authrole',
  'eligible_authrole',
  'match',
  'invoke',
  'mode',
  'disclose_caller',
  '_weight',
  'reason',
  '__proto__',
  'constructor',
]

/** A random value of any kind, nested up to `depth` (sometimes far deeper than the router allows). */
export function randomValue(r: Prng, depth = 3, binary = true): unknown {
  const k = r.int(depth > 0 ? 16 : 12)
  switch (k) {
    case 0:
      return null
    case 1:
      return r.chance(0.5)
    case 2:
      return r.pick([0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1.5, 1e300, Number.MAX_SAFE_INTEGER])
    case 3:
      return r.int(1_000_000)
    case 4:
      return binary ? r.pick([2n ** 64n, 2n ** 64n + 1n, -(2n ** 64n) - 7n, 2n ** 63n]) : 2 ** 60
    case 5:
      return r.pick(STRINGS)
    case 6:
      return r.pick(URIS)
    case 7:
      return binary ? Buffer.from([r.int(256), r.int(256), 0, 255]) : '\0AAECAw=='
    case 8:
      return 'x'.repeat(r.int(2000))
    case 9:
      return r.next()
    case 10:
      return []
    case 11:
      return {}
    case 12:
    case 13: {
      const n = r.int(6)
      return Array.from({ length: n }, () => randomValue(r, depth - 1, binary))
    }
    case 14: {
      const o: Record<string, unknown> = {}
      for (let i = r.int(5); i > 0; i--) o[r.chance(0.5) ? r.pick(OPTION_KEYS) : r.pick(STRINGS)] = randomValue(r, depth - 1, binary)
      return o
    }
    default: {
      // Deep nesting, sometimes past the router's limit of 64.
      let v: unknown = randomValue(r, 0, binary)
      for (let i = r.pick([10, 60, 70, 200]); i > 0; i--) v = r.chance(0.5) ? [v] : { d: v }
      return v
    }
  }
}

function randomOptions(r: Prng, binary: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (let i = r.int(4); i > 0; i--)
    o[r.pick(OPTION_KEYS)] = r.chance(0.5)
      ? randomValue(r, 1, binary)
      : r.pick([true, false, 1000, 0, 'killnowait', 'prefix', [1, 2], ['a']])
  return o
}

/**
 * A plausible message of a random type: ids usually valid, fields sometimes replaced. `request`
 * is a fresh request id for the sender; `invocation` the id of an INVOCATION it may answer.
 */
export function randomMessage(r: Prng, binary: boolean, request: number, invocation: number | undefined): unknown[] {
  const id = (): unknown => (r.chance(0.85) ? request : randomValue(r, 0, binary))
  const args = (): unknown[] => {
    const out: unknown[] = []
    if (r.chance(0.7)) out.push(r.chance(0.15) ? null : Array.from({ length: r.int(4) }, () => randomValue(r, 3, binary)))
    if (out.length > 0 && r.chance(0.5)) out.push(r.chance(0.15) ? null : (randomValue(r, 2, binary) ?? {}))
    return out
  }
  const inv = invocation ?? request
  const m: unknown[] = (() => {
    switch (r.int(15)) {
      case 0:
        return [
          1,
          r.chance(0.8) ? 'realm1' : randomValue(r, 1, binary),
          r.chance(0.8) ? { roles: { caller: {}, callee: {} }, authid: r.pick(STRINGS) } : randomValue(r, 2, binary),
        ]
      case 1:
        return [3, {}, r.pick(STRINGS)]
      case 2:
        return [5, r.pick(STRINGS), {}]
      case 3:
        return [6, {}, 'wamp.close.close_realm']
      case 4:
        return [
          8,
          r.chance(0.8) ? 68 : r.pick([48, 16, 0, 999]),
          r.chance(0.8) ? inv : id(),
          {},
          r.pick([...STRINGS, 'wamp.error.unavailable']),
          ...args(),
        ]
      case 5:
        return [16, id(), randomOptions(r, binary), r.chance(0.8) ? 'com.fuzz.topic' : randomValue(r, 0, binary), ...args()]
      case 6:
        return [32, id(), randomOptions(r, binary), r.chance(0.8) ? 'com.fuzz.topic' : randomValue(r, 0, binary)]
      case 7:
        return [34, id(), r.chance(0.5) ? request : randomValue(r, 0, binary)]
      case 8:
      case 9:
        return [48, id(), randomOptions(r, binary), r.chance(0.8) ? r.pick(URIS) : randomValue(r, 0, binary), ...args()]
      case 10:
        return [49, id(), randomOptions(r, binary)]
      case 11:
        return [64, id(), randomOptions(r, binary), r.chance(0.8) ? `com.fuzz.reg${r.int(5)}` : randomValue(r, 0, binary)]
      case 12:
        return [66, id(), r.chance(0.5) ? request : randomValue(r, 0, binary)]
      case 13:
        return [70, r.chance(0.8) ? inv : id(), r.chance(0.7) ? { progress: r.chance(0.3) } : randomOptions(r, binary), ...args()]
      default:
        return [r.pick([2, 4, 17, 36, 50, 65, 68, 99, -1]), id(), {}]
    }
  })()
  if (r.chance(0.05)) m.push(randomValue(r, 1, binary)) // one element too many
  if (r.chance(0.05)) m.length = Math.max(0, m.length - 1 - r.int(2)) // too few
  return m
}

/** Mutate encoded bytes: flip bits, cut short, splice garbage. Returns the frame itself most of the time. */
export function mutate(r: Prng, frame: Buffer | string): Buffer | string {
  if (!r.chance(0.25)) return frame
  const b = Buffer.from(frame)
  if (b.length === 0) return frame
  switch (r.int(4)) {
    case 0:
      for (let i = 1 + r.int(4); i > 0; i--) b[r.int(b.length)]! ^= 1 << r.int(8)
      return typeof frame === 'string' ? b.toString('latin1') : b
    case 1:
      return typeof frame === 'string' ? frame.slice(0, r.int(frame.length)) : b.subarray(0, r.int(b.length))
    case 2: {
      const at = r.int(b.length)
      const junk = Buffer.from(
        Array.from({ length: 1 + r.int(8) }, () =>
          r.pick([0x91, 0xdd, 0xdf, 0xc7, 0xd4, 0x9f, 0xbf, 0xff, 0x5b, 0x7b, 0x22, 0x00, 0xd8, 0x1c]),
        ),
      )
      const out = Buffer.concat([b.subarray(0, at), junk, b.subarray(at)])
      return typeof frame === 'string' ? out.toString('latin1') : out
    }
    default:
      // A huge count in a container header (msgpack array32 / CBOR array with 4-byte count / JSON bracket run).
      return typeof frame === 'string'
        ? '['.repeat(1 + r.int(5000))
        : Buffer.concat([Buffer.from([r.chance(0.5) ? 0xdd : 0x9a, 0xff, 0xff, 0xff, 0xf0]), b])
  }
}
