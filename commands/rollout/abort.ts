import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { configDir } from '../../src/cli/context.js'
import { abortRollout, RolloutStore, type AbortResult } from '../../src/ops/rollout/index.js'
import { abortSummary } from '../../src/ui/rollout/summary.js'

export default class RolloutAbort extends BaseCommand<typeof RolloutAbort> {
  static override summary = 'Abort the rollout of a URI: restore the starting weights and states, take the canary out of the traffic.'
  static override description = [
    'Works from any shell: tells the running rollout to stop (and waits until it has), puts every old callee back to the',
    'weight and state it had before the rollout (uncordoning it), gives the canary weight 0, and removes the state file.',
    'Exit 3 when no rollout of URI is recorded. Asks for confirmation on a terminal; without one, pass --yes.',
  ].join('\n')
  static override examples = ['<%= config.bin %> rollout abort com.example.resize --yes']
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  async run(): Promise<AbortResult> {
    const { meta } = await this.connect()
    const store = new RolloutStore(configDir(), meta.client.realm, this.args.uri)
    const state = store.read()
    if (state !== null)
      await this.confirm(`Abort the ${state.kind} rollout of ${this.args.uri} and restore the starting weights?`, this.flags.yes)
    const result = await abortRollout(meta, store, this.args.uri)
    if (!this.jsonEnabled()) this.log(abortSummary(result))
    return result
  }
}
