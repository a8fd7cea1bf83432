import { Packr } from 'msgpackr'

/**
 * The load generator's own WAMP codecs, deliberately independent of src/router/serializers.ts so
 * the bench measures the router, not a shared code path. Same settings as the router: WAMP ids go
 * up to 2^53, maps stay plain objects.
 */
export interface Codec {
  readonly name: BenchSerializer
  readonly protocol: string
  readonly binary: boolean
  encode(message: unknown[]): Buffer | string
  decode(frame: Buffer): unknown[]
}

export type BenchSerializer = 'json' | 'msgpack'

const json: Codec = {
  name: 'json',
  protocol: 'wamp.2.json',
  binary: false,
  encode: (m) => JSON.stringify(m),
  decode: (frame) => JSON.parse(frame.toString('utf8')) as unknown[],
}

const packr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'number', mapsAsObjects: true })

const msgpack: Codec = {
  name: 'msgpack',
  protocol: 'wamp.2.msgpack',
  binary: true,
  encode: (m) => packr.pack(m),
  decode: (frame) => packr.unpack(frame) as unknown[],
}

export function codecFor(name: BenchSerializer): Codec {
  return name === 'json' ? json : msgpack
}
