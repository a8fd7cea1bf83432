/**
 * The client's serializers, by WebSocket subprotocol. JSON is built in; msgpack and CBOR load
 * their encoder only when asked for, so a one-shot command pays for neither.
 */
export interface ClientSerializer {
  readonly protocol: 'wamp.2.json' | 'wamp.2.msgpack' | 'wamp.2.cbor'
  readonly binary: boolean
  encode(message: unknown[]): string | Uint8Array
  decode(data: Buffer): unknown
}

export type SerializerName = 'json' | 'msgpack' | 'cbor'

const json: ClientSerializer = {
  protocol: 'wamp.2.json',
  binary: false,
  encode: (m) => JSON.stringify(m),
  decode: (d) => JSON.parse(d.toString('utf8')) as unknown,
}

export async function loadSerializer(name: SerializerName = 'json'): Promise<ClientSerializer> {
  if (name === 'msgpack') {
    // WAMP ids go up to 2^53: 64-bit integers as plain numbers, maps as objects (as the router reads them).
    const { Packr } = await import('msgpackr')
    const packr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'number', mapsAsObjects: true })
    return { protocol: 'wamp.2.msgpack', binary: true, encode: (m) => packr.pack(m), decode: (d) => packr.unpack(d) as unknown }
  }
  if (name === 'cbor') {
    const { Encoder } = await import('cbor-x')
    const cbor = new Encoder({
      useRecords: false,
      int64AsNumber: true,
      mapsAsObjects: true,
      tagUint8Array: false,
      variableMapSize: true,
    } as ConstructorParameters<typeof Encoder>[0])
    return { protocol: 'wamp.2.cbor', binary: true, encode: (m) => cbor.encode(m), decode: (d) => cbor.decode(d) as unknown }
  }
  return json
}
