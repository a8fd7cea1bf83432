import { MessageCode, messageName } from '../protocol/message-codes.js'
import { ProtocolViolationError } from './errors.js'

/**
 * Shape checks for every message a client may send. A frame is decoded once (serializers.ts) and
 * checked here once; routing code then trusts the types. Anything malformed is a protocol
 * violation, which aborts the offending session only.
 */

export type Dict = Record<string, unknown>
export type Args = unknown[] | undefined
export type Kwargs = Dict | undefined

export type Inbound =
  | { type: 1; realm: string; details: Dict }
  | { type: 3; details: Dict; reason: string }
  | { type: 5; signature: string; extra: Dict }
  | { type: 6; details: Dict; reason: string }
  | { type: 8; requestType: number; request: number; details: Dict; error: string; args: Args; kwargs: Kwargs }
  | { type: 16; request: number; options: Dict; topic: string; args: Args; kwargs: Kwargs }
  | { type: 32; request: number; options: Dict; topic: string }
  | { type: 34; request: number; subscription: number }
  | { type: 48; request: number; options: Dict; procedure: string; args: Args; kwargs: Kwargs }
  | { type: 49; request: number; options: Dict }
  | { type: 64; request: number; options: Dict; procedure: string }
  | { type: 66; request: number; registration: number }
  | { type: 70; request: number; options: Dict; args: Args; kwargs: Kwargs }

const MAX_ID = 2 ** 53

/** A WAMP id (spec, "IDs"): an integer in [1, 2^53]. */
export function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_ID
}

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

function fail(m: unknown[], what: string): never {
  throw new ProtocolViolationError(`${messageName(m[0] as number)}: ${what}`)
}

function id(m: unknown[], i: number, field: string): number {
  const v = m[i]
  if (!isId(v)) fail(m, `${field} must be an integer id in [1, 2^53], got ${JSON.stringify(v)}`)
  return v
}

function dict(m: unknown[], i: number, field: string): Dict {
  const v = m[i]
  if (!isDict(v)) fail(m, `${field} must be a dict`)
  return v
}

function str(m: unknown[], i: number, field: string): string {
  const v = m[i]
  if (typeof v !== 'string') fail(m, `${field} must be a string`)
  return v
}

/**
 * Optional trailing Arguments|list and ArgumentsKw|dict starting at index i. `null` for either is
 * taken as absent: the nexus Go client sends `null` Arguments before ArgumentsKw, and Autobahn|Python
 * accepts it. The router never forwards a null (payload.ts).
 */
function payload(m: unknown[], i: number): { args: Args; kwargs: Kwargs } {
  const args = m[i] === null ? undefined : m[i]
  const kwargs = m[i + 1] === null ? undefined : m[i + 1]
  if (args !== undefined && !Array.isArray(args)) fail(m, 'Arguments must be a list')
  if (kwargs !== undefined && !isDict(kwargs)) fail(m, 'ArgumentsKw must be a dict')
  if (m.length > i + 2) fail(m, `too many elements (${m.length})`)
  return { args: args as Args, kwargs: kwargs as Kwargs }
}

function arity(m: unknown[], n: number): void {
  if (m.length !== n) fail(m, `expected ${n} elements, got ${m.length}`)
}

export function parseInbound(m: unknown): Inbound {
  if (!Array.isArray(m)) throw new ProtocolViolationError('a WAMP message must be a list')
  if (m.length === 0) throw new ProtocolViolationError('empty message')
  const type = m[0]
  switch (type) {
    case MessageCode.CALL: {
      if (m.length < 4) fail(m, `expected at least 4 elements, got ${m.length}`)
      return { type, request: id(m, 1, 'Request'), options: dict(m, 2, 'Options'), procedure: str(m, 3, 'Procedure'), ...payload(m, 4) }
    }
    case MessageCode.YIELD: {
      if (m.length < 3) fail(m, `expected at least 3 elements, got ${m.length}`)
      return { type, request: id(m, 1, 'Request'), options: dict(m, 2, 'Options'), ...payload(m, 3) }
    }
    case MessageCode.ERROR: {
      if (m.length < 5) fail(m, `expected at least 5 elements, got ${m.length}`)
      return {
        type,
        requestType: id(m, 1, 'Request.Type'),
        request: id(m, 2, 'Request'),
        details: dict(m, 3, 'Details'),
        error: str(m, 4, 'Error'),
        ...payload(m, 5),
      }
    }
    case MessageCode.PUBLISH: {
      if (m.length < 4) fail(m, `expected at least 4 elements, got ${m.length}`)
      return { type, request: id(m, 1, 'Request'), options: dict(m, 2, 'Options'), topic: str(m, 3, 'Topic'), ...payload(m, 4) }
    }
    case MessageCode.HELLO:
      arity(m, 3)
      return { type, realm: str(m, 1, 'Realm'), details: dict(m, 2, 'Details') }
    case MessageCode.ABORT:
      arity(m, 3)
      return { type, details: dict(m, 1, 'Details'), reason: str(m, 2, 'Reason') }
    case MessageCode.AUTHENTICATE:
      arity(m, 3)
      return { type, signature: str(m, 1, 'Signature'), extra: dict(m, 2, 'Extra') }
    case MessageCode.GOODBYE:
      arity(m, 3)
      return { type, details: dict(m, 1, 'Details'), reason: str(m, 2, 'Reason') }
    case MessageCode.SUBSCRIBE:
      arity(m, 4)
      return { type, request: id(m, 1, 'Request'), options: dict(m, 2, 'Options'), topic: str(m, 3, 'Topic') }
    case MessageCode.UNSUBSCRIBE:
      arity(m, 3)
      return { type, request: id(m, 1, 'Request'), subscription: id(m, 2, 'Subscription') }
    case MessageCode.CANCEL:
      arity(m, 3)
      return { type, request: id(m, 1, 'Request'), options: dict(m, 2, 'Options') }
    case MessageCode.REGISTER:
      arity(m, 4)
      return { type, request: id(m, 1, 'Request'), options: dict(m, 2, 'Options'), procedure: str(m, 3, 'Procedure') }
    case MessageCode.UNREGISTER:
      arity(m, 3)
      return { type, request: id(m, 1, 'Request'), registration: id(m, 2, 'Registration') }
    default:
      if (typeof type !== 'number') throw new ProtocolViolationError(`message type must be an integer, got ${JSON.stringify(type)}`)
      throw new ProtocolViolationError(`${messageName(type)} is not a message a client may send to a router`)
  }
}
