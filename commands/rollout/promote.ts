import { Args, Flags } from '@oclif/core'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'
import { acceptedLine } from '../../src/ui/rollout/summary.js'

export default class RolloutPromote extends BaseCommand<typeof RolloutPromote> {
  static override summary = 'Move the running canary rollout of a URI on to its next step now (--full: straight to 100%).'
  static override description = [
    'From any host with an admin role. Ends a pause (timed or not) or the checks of the current step at once; --full skips every',
    'remaining step: the canary takes all the traffic and the old callees are retired or kept as --on-success said.',
    'Exit 3 when no rollout of URI is running. Asks for confirmation on a terminal; without one, pass --yes.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> rollout promote com.example.resize --yes',
    '<%= config.bin %> rollout promote com.example.resize --full --yes',
  ]
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }
  static override flags = {
    full: Flags.boolean({ description: 'skip the remaining steps: straight to 100%', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  async run(): Promise<RolloutRecord> {
    const { client } = await this.connect()
    const uri = this.args.uri
    await this.confirm(
      this.flags.full
        ? `Promote the canary of ${uri} to 100% now, skipping the remaining steps?`
        : `Move the rollout of ${uri} on to its next step now?`,
      this.flags.yes,
    )
    const r = await new RolloutClient(client).promote(uri, this.flags.full)
    if (!this.jsonEnabled()) this.log(acceptedLine(r, this.flags.full ? 'promoting to 100%' : 'moving on'))
    return r
  }
}
