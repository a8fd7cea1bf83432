import { Flags, type Interfaces } from '@oclif/core'
import { formatDuration, parseDuration, type DurationRules } from '../ops/duration.js'

/**
 * A time flag: `500ms`, `30s`, `2m`, `1m30s` (and a bare number where `rules.bare` gives it a
 * meaning), read by the one duration parser; the command gets milliseconds. The help text says
 * the accepted forms and the default.
 */
interface DurationFlagOptions {
  description: string
  /** Default, ms. */
  default?: number
  rules?: DurationRules
}

export function durationFlag(options: DurationFlagOptions & { default: number }): Interfaces.OptionFlag<number>
export function durationFlag(options: DurationFlagOptions): Interfaces.OptionFlag<number | undefined>
export function durationFlag(options: DurationFlagOptions): Interfaces.OptionFlag<number | undefined> {
  const rules = options.rules ?? {}
  const forms = rules.bare === 'ms' ? '500ms, 30s, 2m; a bare number is milliseconds' : '500ms, 30s, 2m'
  const description = `${options.description} (${forms})`
  return Flags.custom<number>({
    description,
    helpValue: 'DURATION',
    ...(options.default === undefined ? {} : { default: options.default, defaultHelp: async () => formatDuration(options.default!) }),
    parse: async (input, _ctx, opts) => parseDuration(input, `--${opts.name}`, rules),
  })() as Interfaces.OptionFlag<number | undefined>
}
