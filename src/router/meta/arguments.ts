import { InvalidArgumentError } from '../errors.js'
import type { Dict } from '../inbound.js'
import { checkUri, type MatchPolicy } from '../uri.js'

/** Argument checks for the router's own procedures: a clear invalid_argument, never a crash. */

export function idArg(args: unknown[], i: number, name: string): number {
  const v = args[i]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new InvalidArgumentError(`argument ${i + 1} (${name}) must be an integer id, got ${JSON.stringify(v) ?? 'nothing'}`)
  }
  return v
}

export function stringArg(args: unknown[], i: number, name: string): string {
  const v = args[i]
  if (typeof v !== 'string')
    throw new InvalidArgumentError(`argument ${i + 1} (${name}) must be a string, got ${JSON.stringify(v) ?? 'nothing'}`)
  return v
}

export function optionalDict(args: unknown[], i: number, name: string): Dict {
  const v = args[i]
  if (v === undefined || v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`argument ${i + 1} (${name}) must be a dict`)
  return v as Dict
}

export function optionalStringList(args: unknown[], i: number, name: string): string[] | undefined {
  const v = args[i]
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new InvalidArgumentError(`argument ${i + 1} (${name}) must be a list of strings`)
  }
  return v as string[]
}

export function matchOption(options: Dict): MatchPolicy {
  const m = options.match ?? 'exact'
  if (m !== 'exact' && m !== 'prefix' && m !== 'wildcard') throw new InvalidArgumentError(`unknown match policy ${JSON.stringify(m)}`)
  return m
}

/** `reason` kwarg of the kill procedures: a valid URI, default wamp.close.normal. */
export function reasonKwarg(kwargs: Dict, fallback: string): string {
  const r = kwargs.reason
  if (r === undefined || r === null) return fallback
  return checkUri(r, 'exact')
}

export function messageKwarg(kwargs: Dict): string | undefined {
  const m = kwargs.message
  if (m === undefined || m === null) return undefined
  if (typeof m !== 'string') throw new InvalidArgumentError('message must be a string')
  return m
}
