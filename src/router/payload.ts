import type { Args, Kwargs } from './inbound.js'

/**
 * Appends Arguments|list and ArgumentsKw|dict to a message the way the spec wants them: omitted
 * when empty, never sent as null; Arguments sent as [] only when ArgumentsKw follows.
 */
export function withPayload(message: unknown[], args: Args, kwargs: Kwargs): unknown[] {
  const hasKwargs = kwargs !== undefined && kwargs !== null && hasKeys(kwargs)
  if (hasKwargs) {
    message.push(args ?? [], kwargs)
  } else if (args !== undefined && args !== null && args.length > 0) {
    message.push(args)
  }
  return message
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true
  return false
}
