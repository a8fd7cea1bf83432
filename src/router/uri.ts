import { InvalidUriError } from './errors.js'

/**
 * URI checks and pattern matching (WAMP spec, "URIs" and "Pattern-based Registrations").
 * Loose URIs by default: components of any characters but whitespace, '.' and '#'.
 */

export type MatchPolicy = 'exact' | 'prefix' | 'wildcard'

const LOOSE = /^([^\s.#]+\.)*([^\s.#]+)$/
const LOOSE_EMPTY = /^(([^\s.#]+\.)|\.)*([^\s.#]+)?$/
const STRICT = /^([0-9a-z_]+\.)*([0-9a-z_]+)$/
const STRICT_EMPTY = /^(([0-9a-z_]+\.)|\.)*([0-9a-z_]+)?$/

/** Longest URI we accept: long enough for any sane use, short enough to bound the work per check. */
export const MAX_URI_LENGTH = 1024

export function checkUri(uri: unknown, match: MatchPolicy = 'exact', strict = false): string {
  if (typeof uri !== 'string') throw new InvalidUriError(uri, 'not a string')
  if (uri.length > MAX_URI_LENGTH) throw new InvalidUriError(uri.slice(0, 64) + '…', `longer than ${MAX_URI_LENGTH} characters`)
  const ok = match === 'exact' ? (strict ? STRICT : LOOSE).test(uri) : uri.length > 0 && (strict ? STRICT_EMPTY : LOOSE_EMPTY).test(uri)
  if (!ok) {
    throw new InvalidUriError(
      uri,
      match === 'exact'
        ? 'components must be non-empty and contain no whitespace, "." or "#"'
        : 'components may be empty (wildcards) but contain no whitespace or "#"',
    )
  }
  return uri
}

/** URIs clients may not register or publish to: the router's own meta API and extensions. */
export function isReservedUri(uri: string): boolean {
  return uri.startsWith('wamp.') || uri.startsWith('wampctl.')
}

/** Whether a pattern registration/subscription `pattern` with `match` covers the concrete `uri`. */
export function matches(pattern: string, match: MatchPolicy, uri: string): boolean {
  if (match === 'exact') return pattern === uri
  if (match === 'prefix') return uri.startsWith(pattern)
  return wildcardMatches(pattern.split('.'), uri.split('.'))
}

export function wildcardMatches(patternParts: readonly string[], uriParts: readonly string[]): boolean {
  if (patternParts.length !== uriParts.length) return false
  for (let i = 0; i < patternParts.length; i++) {
    const p = patternParts[i]!
    if (p !== '' && p !== uriParts[i]) return false
  }
  return true
}

/**
 * The precedence key of a wildcard pattern: the number of components in each run of literal
 * components before each wildcard (and after the last), left to right. The spec's best match is
 * the pattern whose key is greatest when compared element by element.
 */
export function wildcardKey(pattern: string): number[] {
  const key: number[] = []
  let run = 0
  for (const part of pattern.split('.')) {
    if (part === '') {
      key.push(run)
      run = 0
    } else {
      run++
    }
  }
  key.push(run)
  return key
}

export function compareKeys(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** Number of URI components in a prefix pattern: its precedence among prefixes (more wins). */
export function componentCount(uri: string): number {
  let n = 1
  for (let i = 0; i < uri.length; i++) if (uri.charCodeAt(i) === 46) n++
  return uri.endsWith('.') ? n - 1 : n
}
