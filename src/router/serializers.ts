import { Packr } from 'msgpackr'
import { Encoder as CborEncoder } from 'cbor-x'
import { UnencodableValueError } from './errors.js'

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

/**
 * Rewrites the leaves of a message for the serializer it goes out with, copying only the arrays
 * and objects on the way to a leaf that changes: messages are never mutated (an event's message
 * is shared by every subscriber) and a message with nothing to change costs one walk, no copy.
 * Binary values (Uint8Array) are leaves.
 */
function mapLeaves(v: unknown, leaf: (x: unknown) => unknown): unknown {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return leaf(v)
  if (Array.isArray(v)) {
    let out: unknown[] | undefined
    for (let i = 0; i < v.length; i++) {
      const w = mapLeaves(v[i], leaf)
      if (w !== v[i]) (out ??= v.slice())[i] = w
    }
    return out ?? v
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return v
  let out: Record<string, unknown> | undefined
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k]
    const w = mapLeaves(x, leaf)
    if (w !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = w
  }
  return out ?? v
}

/**
 * For a JSON peer: binary values become the spec's JSON form of binary data, a string of "\0"
 * followed by base64 (WAMP spec, "Binary support in JSON"), as a binary-serializer peer sent them.
 */
function jsonLeaf(x: unknown): unknown {
  return x instanceof Uint8Array ? '\0' + Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64') : x
}

/**
 * For a msgpack or CBOR peer:
 * - a JSON peer's "\0"+base64 string is binary data: sent as bytes;
 * - msgpackr and cbor-x write every integer beyond 32 bits as a float64, so WAMP ids (up to 2^53)
 *   and integer payload values would reach binary peers as floats, and strict peers reject a float
 *   id (Python autobahn: "invalid type float for ID"). Such integers go to the encoders as BigInt,
 *   written as 64-bit integers, as Crossbar and Nexus do. (msgpackr's default decoder, wampy's,
 *   reads them back as BigInt: the same as from any other router.)
 */
function binaryLeaf(x: unknown): unknown {
  if (typeof x === 'number') return (x > 0xffffffff || x < -0x80000000) && Number.isSafeInteger(x) ? BigInt(x) : x
  if (typeof x === 'string' && x.charCodeAt(0) === 0) return Buffer.from(x.slice(1), 'base64')
  return x
}

export const jsonSerializer: Serializer = {
  protocol: 'wamp.2.json',
  binary: false,
  encode: (message) => JSON.stringify(mapLeaves(message, jsonLeaf)),
  decode: (frame) => JSON.parse(frame.toString('utf8')),
}

// WAMP ids go up to 2^53: decode 64-bit integers as plain numbers, and keep maps as objects.
const packr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'number', mapsAsObjects: true })

export const msgpackSerializer: Serializer = {
  protocol: 'wamp.2.msgpack',
  binary: true,
  encode: (message) => packr.pack(mapLeaves(message, binaryLeaf)),
  decode: (frame) => packr.unpack(frame),
}

const cbor = new CborEncoder({
  useRecords: false,
  int64AsNumber: true,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
} as ConstructorParameters<typeof CborEncoder>[0])

export const cborSerializer: Serializer = {
  protocol: 'wamp.2.cbor',
  binary: true,
  encode: (message) => cbor.encode(mapLeaves(message, binaryLeaf)),
  decode: (frame) => cbor.decode(frame),
}

export const serializers: readonly Serializer[] = [jsonSerializer, msgpackSerializer, cborSerializer]

export const subprotocols: readonly string[] = serializers.map((s) => s.protocol)

export function serializerFor(protocol: string): Serializer | undefined {
  return serializers.find((s) => s.protocol === protocol)
}

/**
 * Encode a message carrying a peer's values for another peer. Values one serializer carries and
 * another cannot (a CBOR bignum for JSON, a BigInt beyond 64 bits for msgpack) fail here, before
 * any state changes, as an UnencodableValueError (`wamp.error.invalid_argument`) naming `what`.
 */
export function encodeForPeer(serializer: Serializer, message: unknown[], what: string): Buffer | string {
  try {
    return serializer.encode(message)
  } catch (err) {
    throw new UnencodableValueError(serializer.protocol, what, err)
  }
}
