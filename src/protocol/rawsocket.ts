/**
 * WAMP-over-RawSocket wire constants (WAMP spec, "RawSocket Transport"): a 4-octet handshake
 * (0x7F, LLLL SSSS, 0, 0), then frames with a 4-octet prefix (RRRR XTTT + 24-bit length).
 */
export const RAWSOCKET_MAGIC = 0x7f

/** The SERIALIZER nibble of the handshake, by serializer name. */
export const RawSocketSerializer = { json: 1, msgpack: 2, cbor: 3 } as const

/** The error nibble (upper 4 bits of the 2nd octet, lower 4 bits zero) of a handshake error reply. */
export const RawSocketHandshakeError = {
  serializerUnsupported: 1,
  maxLengthUnacceptable: 2,
  reservedBitsUsed: 3,
  maxConnectionsReached: 4,
} as const

/** The TTT bits of a frame prefix. */
export const RawSocketFrameType = { message: 0, ping: 1, pong: 2 } as const

/** LENGTH nibble n announces a maximum message length of 2^(n+9) octets: 512 B … 16 MiB. */
export function rawSocketMaxLength(lengthNibble: number): number {
  return 2 ** (lengthNibble + 9)
}

/** The largest LENGTH nibble whose maximum does not exceed `bytes` (0 when `bytes` < 1024). */
export function rawSocketLengthNibble(bytes: number): number {
  let n = 0
  while (n < 15 && rawSocketMaxLength(n + 1) <= bytes) n++
  return n
}

/** The 4-octet prefix of a frame of `type` carrying `length` octets (length ≤ 2^24). */
export function rawSocketPrefix(type: number, length: number): Buffer {
  const prefix = Buffer.allocUnsafe(4)
  // Exactly 2^24 octets sets the X bit with the 24 length bits clear (spec, Framing).
  prefix.writeUInt32BE(((type & 0x07) << 24) + length, 0)
  return prefix
}
