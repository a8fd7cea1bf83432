import { Args } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { configDir } from '../../src/cli/context.js'
import { rolloutStatus, RolloutStore, type RolloutStatusView } from '../../src/ops/rollout/index.js'
import { statusView } from '../../src/ui/rollout/summary.js'

export default class RolloutStatus extends BaseCommand<typeof RolloutStatus> {
  static override summary = 'Show the rollout of a URI: its step, the weights, the canary against the rest.'
  static override description =
    'Reads the rollout state file (kept in the config dir while a rollout runs, from any shell) and the live statistics. Without a rollout: the callees with their weights and states. Read-only.'
  static override examples = [
    '<%= config.bin %> rollout status com.example.resize',
    '<%= config.bin %> rollout status com.example.resize --json',
  ]
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }

  async run(): Promise<RolloutStatusView> {
    const { meta } = await this.connect()
    const view = await rolloutStatus(meta, new RolloutStore(configDir(), meta.client.realm, this.args.uri), this.args.uri)
    if (!this.jsonEnabled()) this.log(statusView(view))
    return view
  }
}
