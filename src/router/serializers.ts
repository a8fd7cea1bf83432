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

export const msgpackSerializer: Serializer = {
  protocol: 'wamp.2.msgpack',
  binary: true,
  encode: (message) => packr.pack(message),
  decode: (frame) => packr.unpack(frame),
}

const cbor = new CborEncoder({ useRecords: false, int64AsNumber: true, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true } as ConstructorParameters<typeof CborEncoder>[0])

export const cborSerializer: Serializer = {
  protocol: 'wamp.2.cbor',
  binary: true,
  encode: (message) => cbor.encode(message),
  decode: (frame) => cbor.decode(frame),
}

export const serializers: readonly Serializer[] = [jsonSerializer, msgpackSerializer, cborSerializer]

export const subprotocols: readonly string[] = serializers.map((s) => s.protocol)

export function serializerFor(protocol: string): Serializer | undefined {
  return serializers.find((s) => s.protocol === protocol)
}
