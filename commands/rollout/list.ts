import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'
import { rolloutTable } from '../../src/ui/rollout/summary.js'

export default class RolloutList extends BaseCommand<typeof RolloutList> {
  static override summary = 'The rollouts running in the router now (any URI).'
  static override examples = ['<%= config.bin %> rollout list', '<%= config.bin %> rollout list --json']

  async run(): Promise<RolloutRecord[]> {
    const { client } = await this.connect()
    const list = await new RolloutClient(client).list()
    if (!this.jsonEnabled()) this.log(list.length === 0 ? 'no rollout is running' : rolloutTable(list))
    return list
  }
}
