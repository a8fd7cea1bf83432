import { Flags, type Interfaces } from '@oclif/core'
import { durationFlag } from './duration-flag.js'
import type { BooleanFlagSpec, DurationFlagSpec, FlagSpec, FlagSpecs, IntegerFlagSpec, StringFlagSpec } from './flag-spec.js'

/** The oclif flag of a spec, typed as the command sees its value. */
export type OclifFlagOf<S extends FlagSpec> = S extends BooleanFlagSpec
  ? Interfaces.BooleanFlag<boolean>
  : S extends StringFlagSpec
    ? Interfaces.OptionFlag<string | undefined>
    : S extends IntegerFlagSpec
      ? Interfaces.OptionFlag<number | undefined>
      : S extends DurationFlagSpec & { default: number }
        ? Interfaces.OptionFlag<number>
        : Interfaces.OptionFlag<number | undefined>

export type OclifFlagsOf<S extends FlagSpecs> = { [K in keyof S]: OclifFlagOf<S[K]> }

/** The oclif flags of a command whose flags are specs (src/cli/flag-spec.ts): help, manifest and parsing. */
export function oclifFlags<S extends FlagSpecs>(specs: S): OclifFlagsOf<S> {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(specs)) out[name] = oclifFlag(spec)
  return out as OclifFlagsOf<S>
}

function oclifFlag(spec: FlagSpec): unknown {
  const extra = {
    ...(spec.env === undefined ? {} : { env: spec.env }),
    ...(spec.helpGroup === undefined ? {} : { helpGroup: spec.helpGroup }),
    ...(spec.dependsOn === undefined ? {} : { dependsOn: [...spec.dependsOn] }),
  }
  switch (spec.kind) {
    case 'boolean':
      return Flags.boolean({
        description: spec.description,
        ...extra,
        ...(spec.char === undefined ? {} : { char: spec.char as Interfaces.AlphabetLowercase }),
      })
    case 'string':
      return Flags.string({
        description: spec.description,
        ...extra,
        ...(spec.options === undefined ? {} : { options: [...spec.options] }),
      })
    case 'integer':
      return Flags.integer({ description: spec.description, ...extra, ...(spec.min === undefined ? {} : { min: spec.min }) })
    case 'duration':
      return {
        ...durationFlag({
          description: spec.description,
          ...(spec.default === undefined ? {} : { default: spec.default }),
          ...(spec.rules === undefined ? {} : { rules: spec.rules }),
        }),
        ...extra,
      }
  }
}
