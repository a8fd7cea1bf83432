import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { assertSafe, refusal } from '../../src/ops/drain-safety.js'
import { dryRunKill, killSession, planKill, type KillReport } from '../../src/ops/session-kill.js'
import { renderKill, renderKillDryRun } from '../../src/ui/callee-ops.js'

export default class SessionsKill extends BaseCommand<typeof SessionsKill> {
  static override summary = 'Close a session (wamp.session.kill): the router sends it GOODBYE with the reason and message.'
  static override description = [
    'Refuses (exit 4) to close the last callee that takes calls of a registration, unless --force; --dry-run shows what would be closed and exits 4 where the real run would be refused.',
    'Asks for confirmation on a terminal; without one it refuses (exit 4) unless --yes. Needs a role allowed to kill sessions (admin): otherwise "not authorized", exit 1. Unknown session: exit 3.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> sessions kill 5551212',
    '<%= config.bin %> sessions kill 5551212 --reason wamp.close.maintenance --message "host retired" --yes',
    '<%= config.bin %> sessions kill 5551212 --dry-run',
  ]
  static override args = {
    session: Args.string({ description: 'session id (or an authid naming one session)', required: true }),
  }
  static override flags = {
    reason: Flags.string({ description: 'close reason URI sent to the session [default: wamp.close.normal]' }),
    message: Flags.string({ description: 'human-readable message sent with the GOODBYE' }),
    force: Flags.boolean({
      description: 'kill even the last callee taking calls of a registration (its calls then fail with no_available_callee)',
      default: false,
    }),
    'dry-run': Flags.boolean({ description: 'show what would happen and change nothing', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  }

  async run(): Promise<KillReport> {
    const { meta } = await this.connect()
    const plan = await planKill(meta, this.args.session)
    const options = { reason: this.flags.reason, message: this.flags.message, force: this.flags.force }
    if (this.flags['dry-run']) {
      const refused = plan.safety.safe || this.flags.force ? null : refusal(plan.safety, 'kill')
      if (!this.jsonEnabled()) this.log(renderKillDryRun(plan, refused))
      if (refused !== null) this.refusedDryRun(refused)
      return dryRunKill(plan, options)
    }
    assertSafe(plan.safety, 'kill', this.flags.force)
    const s = plan.session
    await this.confirm(
      `Kill session ${s.session}${s.authid === null ? '' : ` (authid ${s.authid}, role ${s.authrole ?? '-'})`}?`,
      this.flags.yes === true,
    )
    const report = await killSession(meta, plan, options)
    if (!this.jsonEnabled()) this.log(renderKill(report))
    return report
  }
}
