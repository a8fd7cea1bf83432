import { Args, Flags } from '@oclif/core'
import { UnsupportedError } from '../src/client/errors.js'
import { BaseCommand } from '../src/cli/base-command.js'
import { durationFlag } from '../src/cli/duration-flag.js'
import { parseKwargs, parseValue } from '../src/cli/values.js'

export default class Call extends BaseCommand<typeof Call> {
  static override summary = 'Call a procedure and print its result.'
  static override description =
    'Positional ARGS are parsed as JSON when they are valid JSON (numbers, true, {"a":1}), else taken as strings.'
  static override examples = [
    '<%= config.bin %> call com.example.add 2 3',
    '<%= config.bin %> call com.example.greet --kwargs \'{"name":"ops"}\' --json',
    '<%= config.bin %> call com.example.health --callee 4711',
  ]
  static override strict = false
  static override args = {
    procedure: Args.string({ description: 'procedure URI', required: true }),
  }
  static override flags = {
    kwargs: Flags.string({ description: 'keyword arguments as a JSON object' }),
    timeout: durationFlag({ description: 'router-side call timeout', rules: { bare: 'ms' } }),
    callee: Flags.integer({
      description: 'a directed call: only the callee on this session takes it (admin roles; wampctl routers with their extensions on)',
    }),
  }

  async run(): Promise<{ args: unknown[]; kwargs: Record<string, unknown> }> {
    const positional = this.rest.slice(1)
    const kwargs = parseKwargs(this.flags.kwargs)
    const { client, meta } = await this.connect()
    const callee = this.flags.callee
    if (callee !== undefined && !(await meta.capabilitiesOf()).features.includes('directed_call')) {
      // Another router would ignore the option and hand the call to any callee: refuse instead.
      throw new UnsupportedError(
        `the router at ${client.url} cannot direct a call to one callee (--callee needs a wampctl router with its extensions on)`,
      )
    }
    const result = await client.call(this.args.procedure, positional.map(parseValue), kwargs, {
      ...(this.flags.timeout === undefined ? {} : { timeoutMs: this.flags.timeout }),
      ...(callee === undefined ? {} : { callee }),
    })
    if (!this.jsonEnabled()) {
      if (result.args.length > 0) this.log(result.args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
      if (Object.keys(result.kwargs).length > 0) this.log(JSON.stringify(result.kwargs))
    }
    return result
  }
}
