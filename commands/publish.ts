import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../src/cli/base-command.js'
import { parseKwargs, parseValue } from '../src/cli/values.js'

export default class Publish extends BaseCommand<typeof Publish> {
  static override summary = 'Publish an event (acknowledged) and print its publication id.'
  static override description =
    'Positional ARGS are parsed as JSON when they are valid JSON (numbers, true, {"a":1}), else taken as strings.'
  static override examples = [
    '<%= config.bin %> publish com.example.news hello 42',
    '<%= config.bin %> publish com.example.news --kwargs \'{"level":"info"}\' --json',
  ]
  static override strict = false
  static override args = {
    topic: Args.string({ description: 'topic URI', required: true }),
  }
  static override flags = {
    kwargs: Flags.string({ description: 'keyword arguments as a JSON object' }),
  }

  async run(): Promise<{ topic: string; publication: number | null }> {
    const kwargs = parseKwargs(this.flags.kwargs)
    const { client } = await this.connect()
    const publication = (await client.publish(this.args.topic, this.rest.slice(1).map(parseValue), kwargs)) ?? null
    if (!this.jsonEnabled()) this.log(String(publication ?? 'published'))
    return { topic: this.args.topic, publication }
  }
}
