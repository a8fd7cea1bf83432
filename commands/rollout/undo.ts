import { Args, Flags } from '@oclif/core'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import type { UndoResult } from '../../src/protocol/rollout.js'
import { undoSummary } from '../../src/ui/rollout/summary.js'

export default class RolloutUndo extends BaseCommand<typeof RolloutUndo> {
  static override summary = "Undo the last (promoted) rollout of a URI: traffic back to the previous version's callees."
  static override description = [
    "The previous version's callees must still be registered (roll out with --on-success keep): they get their starting weights",
    'and states back, and the canary ends as a rollback leaves it (registered, weight 0, cordoned). Otherwise exit 4 saying why',
    '(retired, left, the last rollout did not promote, undone already); exit 3 when the router knows no finished rollout of URI.',
  ].join('\n')
  static override examples = ['<%= config.bin %> rollout undo com.example.resize --yes']
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  async run(): Promise<UndoResult> {
    const { client } = await this.connect()
    await this.confirm(`Shift the traffic of ${this.args.uri} back to the previous version?`, this.flags.yes)
    const u = await new RolloutClient(client).undo(this.args.uri)
    if (!this.jsonEnabled()) this.log(undoSummary(u))
    return u
  }
}
