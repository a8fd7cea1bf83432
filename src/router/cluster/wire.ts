import { Packr } from 'msgpackr'

/**
 * The encoding of every cluster message and KV value: msgpack, so binary payloads cross as they
 * are. Plain objects only (no records, no msgpackr extensions), so any msgpack reader can read it.
 */
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' })

export function pack(value: unknown): Buffer {
  return packr.pack(value)
}

export function unpack<T>(data: Uint8Array): T {
  return packr.unpack(data) as T
}
