import { Packr } from 'msgpackr'
import { Encoder as CborEncoder } from 'cbor-x'

/**
 * The three WAMP serializers over WebSocket. Each decodes a frame once into plain JS values and
 * encodes an outgoing message once; payloads (args, kwargs) pass through as decoded.
 */
export interface Serializer {
  /** WebSocket subprotocol, e.g. "wamp.2.json". */
  readonly protocol: string
  /** Binary frames (msgpack, CBOR) or text frames (JSON). */
  readonly binary: boolean
  encode(message: unknown[]): Buffer | string
  decode(frame: Buffer): unknown
}

export const jsonSerializer: Serializer = {
  protocol: 'wamp.2.json',
  binary: false,
  encode: (message) => JSON.stringify(message),
  decode: (frame) => JSON.parse(frame.toString('utf8')),
}

// WAMP ids go up to 2^53: decode 64-bit integers as plain numbers, and keep maps as objects.
const packr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'number', mapsAsObjects: true })

/**
 * msgpackr and cbor-x write every integer beyond 32 bits as a float64, so WAMP ids (random up to
 * 2^53) and integer payload values reached binary peers as floats, and strict peers reject a
 * float ID (Python autobahn: "invalid type float for ID"). Such integers are handed to the
 * encoders as BigInt, which they write as 64-bit integers, as Crossbar and Nexus do. (msgpackr's
 * default decoder, wampy's, reads those back as BigInt: the same as from any other router.)
 * The message is copied only where something changes, never mutated (events share one message).
 */
function wideIntsAsBigInt(v: unknown): unknown {
  if (typeof v === 'number') return (v > 0xffffffff || v < -0x80000000) && Number.isSafeInteger(v) ? BigInt(v) : v
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) {
    let out: unknown[] | undefined
    for (let i = 0; i < v.length; i++) {
      const w = wideIntsAsBigInt(v[i])
      if (w !== v[i]) (out ??= v.slice())[i] = w
    }
    return out ?? v
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return v // Uint8Array and friends pass as they are
  let out: Record<string, unknown> | undefined
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k]
    const w = wideIntsAsBigInt(x)
    if (w !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = w
  }
  return out ?? v
}

export const msgpackSerializer: Serializer = {
  protocol: 'wamp.2.msgpack',
  binary: true,
  encode: (message) => packr.pack(wideIntsAsBigInt(message)),
  decode: (frame) => packr.unpack(frame),
}

const cbor = new CborEncoder({ useRecords: false, int64AsNumber: true, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true } as ConstructorParameters<typeof CborEncoder>[0])

export const cborSerializer: Serializer = {
  protocol: 'wamp.2.cbor',
  binary: true,
  encode: (message) => cbor.encode(wideIntsAsBigInt(message)),
  decode: (frame) => cbor.decode(frame),
}

export const serializers: readonly Serializer[] = [jsonSerializer, msgpackSerializer, cborSerializer]

export const subprotocols: readonly string[] = serializers.map((s) => s.protocol)

export function serializerFor(protocol: string): Serializer | undefined {
  return serializers.find((s) => s.protocol === protocol)
}
