import { msgpackSerializer } from '../serializers.js'
import { pack } from './wire.js'

/**
 * The messages of calls that cross nodes (docs/cluster.md, "Calls across nodes"), msgpack arrays.
 * The WAMP message inside is the one a dealer built and already encoded in msgpack for a proxy
 * session: it is spliced in as it is (an array header, the other items, then those bytes is valid
 * msgpack), so a call's payload is encoded once on its way out, never twice.
 *
 * On `<name>.node.<callee's node>.inv.<realm>`:
 *   [CallKind.invocation, from node, its incarnation, callee session, directed, caller session, caller authid, caller authrole, INVOCATION]
 *   [CallKind.interrupt, from node, its incarnation, callee session, INTERRUPT]
 * (the incarnation tells a restarted node's calls from its previous life's, whose calls are over)
 * On `<name>.node.<caller's node>.res.<realm>`:
 *   [callee session, RESULT | ERROR]
 */
export const CallKind = { invocation: 0, interrupt: 1 } as const

/** msgpack fixarray headers: 0x90 + number of items (up to 15). */
const FIXARRAY = 0x90

/** `items` followed by one more item already encoded in msgpack: one array, `encoded` copied once. */
function splice(items: unknown[], encoded: Buffer | string): Buffer {
  const head = pack(items)
  const out = Buffer.concat([head, typeof encoded === 'string' ? Buffer.from(encoded) : encoded])
  out[0] = FIXARRAY + items.length + 1
  return out
}

export function invocationMessage(
  from: string,
  incarnation: string,
  callee: number,
  directed: boolean,
  caller: number,
  authid: string,
  authrole: string,
  invocation: Buffer | string,
): Buffer {
  return splice([CallKind.invocation, from, incarnation, callee, directed, caller, authid, authrole], invocation)
}

export function interruptMessage(from: string, incarnation: string, callee: number, interrupt: unknown[]): Buffer {
  return pack([CallKind.interrupt, from, incarnation, callee, interrupt])
}

export function answerMessage(callee: number, answer: Buffer | string): Buffer {
  return splice([callee], answer)
}

/**
 * Decode a call message, reading it as a WAMP peer's msgpack is read (64-bit integers as numbers,
 * maps as objects, binary as bytes), since it carries WAMP messages.
 */
export function decodeCallMessage(data: Uint8Array): unknown[] {
  const m = msgpackSerializer.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  if (!Array.isArray(m)) throw new Error('a cluster call message must be a msgpack array')
  return m
}
