import { Args } from '@oclif/core'
import { MetaClient } from '../../src/client/meta-client.js'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import { windowLabel } from '../../src/ops/recent-rates.js'
import { exitCodeOf, rolloutCallees, type RolloutCallee } from '../../src/ops/rollout/index.js'
import type { RolloutRecord } from '../../src/protocol/rollout.js'
import { statusView } from '../../src/ui/rollout/summary.js'

export default class RolloutStatus extends BaseCommand<typeof RolloutStatus> {
  static override summary = 'Show the rollout of a URI as the router runs it: step, weights, last check, the callees.'
  static override description = [
    'From any host and any context with the rights to read it: the router keeps the rollout. Shows the running rollout of URI,',
    'else the last one that ended. Exit 0 while it runs or when it was promoted, 6 rolled back or aborted, 5 timed out,',
    '3 when the router knows no rollout of URI (none ran, or the router restarted). Read-only.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> rollout status com.example.resize',
    '<%= config.bin %> rollout status com.example.resize --json',
  ]
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }

  async run(): Promise<{ rollout: RolloutRecord; callees: RolloutCallee[] }> {
    const { client } = await this.connect()
    const rollout = await new RolloutClient(client).status(this.args.uri)
    const meta = new MetaClient(client)
    const callees = await rolloutCallees(meta, rollout)
    if (!this.jsonEnabled()) this.log(statusView(rollout, callees, windowLabel((await meta.capabilitiesOf()).statsIntervalMs)))
    process.exitCode = exitCodeOf(rollout)
    return { rollout, callees }
  }
}
