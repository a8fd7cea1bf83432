import { Args } from '@oclif/core'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'
import { acceptedLine } from '../../src/ui/rollout/summary.js'

export default class RolloutResume extends BaseCommand<typeof RolloutResume> {
  static override summary = 'Resume a paused canary rollout of a URI (a pause step ends: on to the next step).'
  static override description = 'From any host with an admin role. Exit 3 when no rollout of URI is running.'
  static override examples = ['<%= config.bin %> rollout resume com.example.resize']
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }

  async run(): Promise<RolloutRecord> {
    const { client } = await this.connect()
    const r = await new RolloutClient(client).resume(this.args.uri)
    if (!this.jsonEnabled()) this.log(acceptedLine(r, 'resumed'))
    return r
  }
}
