import { MessageCode } from '../protocol/message-codes.js'
import { InvalidArgumentError, ProtocolViolationError } from './errors.js'
import { isId, type Dict, type Inbound } from './inbound.js'

/**
 * The types of the options the router reads, checked once per message before routing, so routing
 * code can trust them: a request with an option of the wrong type gets ERROR
 * wamp.error.invalid_argument and its session is kept (a YIELD has no answer of its own: its
 * options are a protocol violation). Options the router does not read pass through unchecked.
 */
export function checkOptions(msg: Inbound): void {
  switch (msg.type) {
    case MessageCode.CALL:
      return checkCall(msg.options)
    case MessageCode.PUBLISH:
      return checkPublish(msg.options)
    case MessageCode.REGISTER:
      bools(msg.options, ['disclose_caller'])
      strings(msg.options, ['match', 'invoke'])
      return
    case MessageCode.SUBSCRIBE:
      return strings(msg.options, ['match'])
    case MessageCode.CANCEL:
      return strings(msg.options, ['mode'])
    case MessageCode.YIELD: {
      const p = msg.options.progress
      if (p !== undefined && typeof p !== 'boolean')
        throw new ProtocolViolationError(`YIELD: Options.progress must be a boolean, got ${show(p)}`)
      return
    }
  }
}

function checkCall(o: Dict): void {
  // The common case, no options at all, costs one loop that does not run.
  for (const _ in o) {
    const t = o.timeout
    if (t !== undefined && !(typeof t === 'number' && Number.isInteger(t) && t >= 0)) {
      throw new InvalidArgumentError(`CALL.Options.timeout must be a non-negative integer (milliseconds), got ${show(t)}`)
    }
    bools(o, ['receive_progress', 'disclose_me'])
    return
  }
}

function checkPublish(o: Dict): void {
  for (const _ in o) {
    bools(o, ['acknowledge', 'exclude_me', 'disclose_me'])
    for (const k of ['exclude', 'eligible']) {
      const v = o[k]
      if (v !== undefined && !(Array.isArray(v) && v.every(isId)))
        throw new InvalidArgumentError(`PUBLISH.Options.${k} must be a list of session ids, got ${show(v)}`)
    }
    for (const k of ['exclude_authid', 'eligible_authid', 'exclude_authrole', 'eligible_authrole']) {
      const v = o[k]
      if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
        throw new InvalidArgumentError(`PUBLISH.Options.${k} must be a list of strings, got ${show(v)}`)
      }
    }
    return
  }
}

function bools(o: Dict, keys: string[]): void {
  for (const k of keys) {
    const v = o[k]
    if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError(`Options.${k} must be a boolean, got ${show(v)}`)
  }
}

function strings(o: Dict, keys: string[]): void {
  for (const k of keys) {
    const v = o[k]
    if (v !== undefined && typeof v !== 'string') throw new InvalidArgumentError(`Options.${k} must be a string, got ${show(v)}`)
  }
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 80)
  } catch {
    return typeof v
  }
}
