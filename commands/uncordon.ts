import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../src/cli/base-command.js'
import { setCordon, type CordonReport } from '../src/ops/cordon.js'
import { renderCordon } from '../src/ui/callee-ops.js'

export default class Uncordon extends BaseCommand<typeof Uncordon> {
  static override summary = 'Resume routing new calls to a cordoned callee (all its registrations, or one with --uri).'
  static override description = 'Needs the wampctl operations extensions.'
  static override examples = ['<%= config.bin %> uncordon 4711', '<%= config.bin %> uncordon worker-3 --uri com.example.resize --json']
  static override args = {
    session: Args.string({ description: 'session id, or an authid that names exactly one session', required: true }),
  }
  static override flags = {
    uri: Flags.string({ description: 'only this registration (URI or registration id)' }),
  }

  async run(): Promise<CordonReport> {
    const { meta } = await this.connect()
    const report = await setCordon(meta, this.args.session, { uri: this.flags.uri, cordon: false })
    if (!this.jsonEnabled()) this.log(renderCordon(report))
    return report
  }
}
