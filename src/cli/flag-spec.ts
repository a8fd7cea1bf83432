import type { DurationRules } from '../ops/duration.js'

/**
 * A command's flags as plain data, without @oclif/core: what the start-up fast path
 * (src/cli/fast-path.ts) reads argv with, and what src/cli/oclif-flags.ts turns into the oclif
 * flags the full CLI (help, manifest, every other case) uses. One definition, two readers.
 */
export type FlagSpec = BooleanFlagSpec | StringFlagSpec | IntegerFlagSpec | DurationFlagSpec

interface CommonSpec {
  description: string
  /** Read from this environment variable when the flag is not given (a non-empty value). */
  env?: string
  helpGroup?: string
  /** Only together with these flags. */
  dependsOn?: readonly string[]
}

export interface BooleanFlagSpec extends CommonSpec {
  kind: 'boolean'
  char?: string
}

export interface StringFlagSpec extends CommonSpec {
  kind: 'string'
  options?: readonly string[]
}

export interface IntegerFlagSpec extends CommonSpec {
  kind: 'integer'
  min?: number
}

export interface DurationFlagSpec extends CommonSpec {
  kind: 'duration'
  /** ms */
  default?: number
  rules?: DurationRules
}

export type FlagSpecs = Record<string, FlagSpec>

/** The value a command gets for a flag of this spec. */
export type FlagValue<S extends FlagSpec> = S extends BooleanFlagSpec
  ? boolean
  : S extends StringFlagSpec
    ? string | undefined
    : S extends IntegerFlagSpec
      ? number | undefined
      : S extends DurationFlagSpec & { default: number }
        ? number
        : number | undefined

export type FlagValues<S extends FlagSpecs> = { [K in keyof S]: FlagValue<S[K]> }
