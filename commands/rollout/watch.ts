import { Args } from '@oclif/core'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import { watchToEnd } from '../../src/cli/follow.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'

export default class RolloutWatch extends BaseCommand<typeof RolloutWatch> {
  static override summary = 'Follow the rollout of a URI until it ends (exit 0 promoted, 6 rolled back, 5 timed out).'
  static override description = [
    'From any host: the live view on a terminal, plain lines otherwise, --json NDJSON. A rollout that already ended prints its',
    'summary and exits with its outcome. Ctrl-C stops watching only; exit 3 when the router knows no rollout of URI.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> rollout watch com.example.resize',
    '<%= config.bin %> rollout watch com.example.resize --json',
  ]
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<RolloutRecord> {
    const { client } = await this.connect()
    const uri = this.args.uri
    return watchToEnd(
      new RolloutClient(client),
      { uri },
      { json: this.jsonEnabled(), title: `rollout watch ${uri}`, gates: null, log: (l) => this.log(l) },
    )
  }
}
