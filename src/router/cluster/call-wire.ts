import { Packr } from 'msgpackr'
import { msgpackSerializer, type Serializer } from '../serializers.js'
import type { FrameItem } from './outbox.js'

/**
 * The frames of calls that cross nodes (docs/cluster.md, "Calls across nodes"). Everything a node
 * sends to another node's `<name>.node.<node>.call.<realm>` in one turn of the event loop goes as
 * one NATS message, a msgpack array of frames (outbox.ts). Each frame is a msgpack array whose last
 * item is a WAMP message already encoded in msgpack (by the dealer, for a proxy session), spliced
 * in as it is: a call's payload is encoded once on its way out, never twice.
 *
 *   [CallKind.invocation, from node, its incarnation, callee session, directed, caller session, caller authid, caller authrole, INVOCATION]
 *   [CallKind.interrupt, from node, its incarnation, callee session, INTERRUPT]
 *   [CallKind.answer, callee session, RESULT | ERROR]   (to the caller's node)
 *
 * (the incarnation tells a restarted node's calls from its previous life's, whose calls are over)
 */
export const CallKind = { invocation: 0, interrupt: 1, answer: 2 } as const

// As msgpackSerializer's, so that the other node decodes what it encodes the same way.
const wirePackr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'number', mapsAsObjects: true })

/**
 * How the dealer encodes the messages of proxies (INVOCATION to another node's callee) and remote
 * callers (RESULT/ERROR to another node's caller): msgpack, without the leaf rewriting a msgpack
 * peer needs (wide integers as 64-bit, JSON's "\0"+base64 strings as bytes). The message is not
 * for a peer: the other node decodes it and encodes it again for its own peer with that peer's
 * serializer, which does the rewriting then, so doing it here too was a second walk of every
 * crossing message for nothing. (Wide integers cross as float64 and come back as the same numbers.)
 */
export const wireSerializer: Serializer = { ...msgpackSerializer, encode: (message) => wirePackr.pack(message) }

/** A frame: its plain items, then the encoded WAMP message. */
export interface CallFrame {
  head: FrameItem[]
  message: Buffer
}

function bytes(encoded: Buffer | string): Buffer {
  return typeof encoded === 'string' ? Buffer.from(encoded) : encoded
}

export function invocationFrame(
  from: string,
  incarnation: string,
  callee: number,
  directed: boolean,
  caller: number,
  authid: string,
  authrole: string,
  invocation: Buffer | string,
): CallFrame {
  return { head: [CallKind.invocation, from, incarnation, callee, directed, caller, authid, authrole], message: bytes(invocation) }
}

export function interruptFrame(from: string, incarnation: string, callee: number, interrupt: unknown[]): CallFrame {
  return { head: [CallKind.interrupt, from, incarnation, callee], message: bytes(msgpackSerializer.encode(interrupt)) }
}

export function answerFrame(callee: number, answer: Buffer | string): CallFrame {
  return { head: [CallKind.answer, callee], message: bytes(answer) }
}

/**
 * Decode one message of frames, reading it as a WAMP peer's msgpack is read (64-bit integers as
 * numbers, maps as objects, binary as bytes), since its frames carry WAMP messages.
 */
export function decodeCallFrames(data: Uint8Array): unknown[][] {
  const m = msgpackSerializer.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  if (!Array.isArray(m) || !m.every((f) => Array.isArray(f))) throw new Error('a cluster call message must be a msgpack array of arrays')
  return m as unknown[][]
}
