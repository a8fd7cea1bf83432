import { Args } from '@oclif/core'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'
import { rolloutTable } from '../../src/ui/rollout/summary.js'

export default class RolloutHistory extends BaseCommand<typeof RolloutHistory> {
  static override summary = 'The last rollouts of a URI (or of every URI), newest first: outcome, step reached, reason, who, when.'
  static override description = 'The router keeps the last 10 finished rollouts per URI, in memory (a router restart forgets them).'
  static override examples = ['<%= config.bin %> rollout history com.example.resize', '<%= config.bin %> rollout history --json']
  static override args = {
    uri: Args.string({ description: 'procedure URI [default: every URI]', required: false }),
  }

  async run(): Promise<RolloutRecord[]> {
    const { client } = await this.connect()
    const list = await new RolloutClient(client).history(this.args.uri)
    if (!this.jsonEnabled())
      this.log(
        list.length === 0
          ? `no finished rollout${this.args.uri === undefined ? '' : ` of ${this.args.uri}`} is recorded`
          : rolloutTable(list),
      )
    return list
  }
}
