import { UsageError } from '../client/errors.js'

/** A command-line value: JSON when it parses as JSON, else the string itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** A `--kwargs` flag: a JSON object, or {} when the flag is absent. Anything else is a usage error. */
export function parseKwargs(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {}
  const parsed = parseValue(text)
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--kwargs must be a JSON object')
  return parsed as Record<string, unknown>
}
