import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../src/cli/base-command.js'
import { setCordon, type CordonReport } from '../src/ops/cordon.js'
import { renderCordon } from '../src/ui/callee-ops.js'

export default class Cordon extends BaseCommand<typeof Cordon> {
  static override summary = 'Stop routing new calls to a callee (all its registrations, or one with --uri).'
  static override description =
    'Calls in flight finish normally; the callee stays registered. Refuses (exit 4) to cordon the last callee that takes calls on a registration, unless --force. Undo with uncordon. Needs the wampctl operations extensions.'
  static override examples = ['<%= config.bin %> cordon 4711', '<%= config.bin %> cordon worker-3 --uri com.example.resize --json']
  static override args = {
    session: Args.string({ description: 'session id, or an authid that names exactly one session', required: true }),
  }
  static override flags = {
    uri: Flags.string({ description: 'only this registration (URI or registration id)' }),
    force: Flags.boolean({
      description: 'cordon even the last callee taking calls (its calls then fail with no_available_callee)',
      default: false,
    }),
  }

  async run(): Promise<CordonReport> {
    const { meta } = await this.connect()
    const report = await setCordon(meta, this.args.session, { uri: this.flags.uri, cordon: true, force: this.flags.force })
    if (!this.jsonEnabled()) this.log(renderCordon(report))
    return report
  }
}
