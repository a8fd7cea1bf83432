import { Args, Flags } from '@oclif/core'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'
import { finalSummary } from '../../src/ui/rollout/summary.js'

export default class RolloutAbort extends BaseCommand<typeof RolloutAbort> {
  static override summary = 'Abort the running rollout of a URI: restore the starting weights, take the canary out of the traffic.'
  static override description = [
    'From any host with an admin role: the router stops the rollout, puts every old callee back to the weight and state it had',
    'before (uncordoning it), and leaves the canary registered, weight 0, cordoned once its calls finished: the same state a',
    'rollback leaves. Exit 3 when no rollout of URI is running. Asks for confirmation on a terminal; without one, pass --yes.',
  ].join('\n')
  static override examples = ['<%= config.bin %> rollout abort com.example.resize --yes']
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  async run(): Promise<RolloutRecord> {
    const { client } = await this.connect()
    const rc = new RolloutClient(client)
    const r = await rc.status(this.args.uri)
    if (r.outcome === null)
      await this.confirm(`Abort the ${r.kind} rollout of ${this.args.uri} and restore the starting weights?`, this.flags.yes)
    const ended = await rc.abort(this.args.uri)
    if (!this.jsonEnabled()) this.log(finalSummary(ended))
    return ended
  }
}
