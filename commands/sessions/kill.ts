import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { resolveSession } from '../../src/ops/session-target.js'

export default class SessionsKill extends BaseCommand<typeof SessionsKill> {
  static override summary = 'Close a session (wamp.session.kill): the router sends it GOODBYE with the reason and message.'
  static override description =
    'Asks for confirmation on a terminal; without one it refuses (exit 4) unless --yes. Needs a role allowed to kill sessions (admin): otherwise "not authorized", exit 1. Unknown session: exit 3.'
  static override examples = [
    '<%= config.bin %> sessions kill 5551212',
    '<%= config.bin %> sessions kill 5551212 --reason wamp.close.maintenance --message "host retired" --yes',
  ]
  static override args = {
    session: Args.string({ description: 'session id (or an authid naming one session)', required: true }),
  }
  static override flags = {
    reason: Flags.string({ description: 'close reason URI sent to the session [default: wamp.close.normal]' }),
    message: Flags.string({ description: 'human-readable message sent with the GOODBYE' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  }

  async run(): Promise<{ session: number; authid: string | null; killed: true; reason: string | null; message: string | null }> {
    const { meta, client } = await this.connect()
    const s = await resolveSession(meta, this.args.session, client.sessionId)
    await this.confirm(
      `Kill session ${s.session}${s.authid === null ? '' : ` (authid ${s.authid}, role ${s.authrole ?? '-'})`}?`,
      this.flags.yes,
    )
    await meta.killSession(s.session, this.flags.reason, this.flags.message)
    if (!this.jsonEnabled()) this.log(`session ${s.session} killed`)
    return { session: s.session, authid: s.authid, killed: true, reason: this.flags.reason ?? null, message: this.flags.message ?? null }
  }
}
