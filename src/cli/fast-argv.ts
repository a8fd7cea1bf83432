import { parseDuration } from '../ops/duration.js'
import type { FlagSpec, FlagSpecs, FlagValues } from './flag-spec.js'

/**
 * A command's argv read by its flag specs, for the start-up fast path (src/cli/fast-path.ts), or
 * null when it is not plainly right. Read: `--name value`, `--name=value`, `--bool`, a boolean's
 * `-c`, and a flag's environment variable. Anything else gives null: a positional argument, `--`,
 * `--help`, an unknown, repeated or combined flag, a value that starts with `-`, a value its flag
 * refuses (not one of the options, not an integer, a bad duration), a flag without the flags it
 * depends on. Then the full oclif CLI reads argv and gives its own answer (help, the error, the
 * typo's suggestion), so the fast path never changes what the CLI says; it only answers sooner.
 */
export function readFlagsFast<S extends FlagSpecs>(specs: S, argv: readonly string[], env: NodeJS.ProcessEnv): FlagValues<S> | null {
  const given = new Map<string, string | true>()
  const byChar = new Map<string, string>()
  for (const [name, spec] of Object.entries(specs)) if (spec.kind === 'boolean' && spec.char !== undefined) byChar.set(spec.char, name)
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    let name: string
    let inline: string | undefined
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=')
      name = eq === -1 ? token.slice(2) : token.slice(2, eq)
      inline = eq === -1 ? undefined : token.slice(eq + 1)
    } else if (/^-[a-zA-Z]$/.test(token) && byChar.has(token[1]!)) {
      name = byChar.get(token[1]!)!
    } else {
      return null
    }
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined
    if (spec === undefined || given.has(name)) return null
    if (spec.kind === 'boolean') {
      if (inline !== undefined) return null
      given.set(name, true)
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return null
    given.set(name, value)
  }
  const out: Record<string, unknown> = {}
  /** Flags given on argv or by their environment variable (oclif's "provided": booleans otherwise count as absent). */
  const provided = new Set(given.keys())
  for (const [name, spec] of Object.entries(specs)) {
    const input = given.get(name)
    if (spec.kind === 'boolean') {
      if (input === undefined && spec.env !== undefined && env[spec.env]) return null // oclif's truthiness rules: leave them to it
      out[name] = input === true
      continue
    }
    const text = typeof input === 'string' ? input : spec.env !== undefined && env[spec.env] ? env[spec.env] : undefined
    if (text === undefined) {
      out[name] = spec.kind === 'duration' ? spec.default : undefined
      continue
    }
    const value = valueOf(name, spec, text)
    if (value === null) return null
    out[name] = value
    provided.add(name)
  }
  for (const [name, spec] of Object.entries(specs)) {
    const set = provided.has(name) || (spec.kind !== 'boolean' && out[name] !== undefined) // a default counts, as in oclif
    if (set && spec.dependsOn?.some((other) => !provided.has(other))) return null
  }
  return out as FlagValues<S>
}

/** The value of a non-boolean flag, or null when the flag would refuse it. */
function valueOf(name: string, spec: Exclude<FlagSpec, { kind: 'boolean' }>, text: string): string | number | null {
  switch (spec.kind) {
    case 'string':
      return spec.options === undefined || spec.options.includes(text) ? text : null
    case 'integer': {
      if (!/^\d+$/.test(text)) return null
      const n = Number(text)
      return Number.isSafeInteger(n) && (spec.min === undefined || n >= spec.min) ? n : null
    }
    case 'duration':
      try {
        return parseDuration(text, `--${name}`, spec.rules)
      } catch {
        return null
      }
  }
}
