import { BaseCommand } from '../../src/cli/base-command.js'
import { listSessions, type SessionRow } from '../../src/ops/session-inventory.js'
import { renderSessionList } from '../../src/ui/sessions-view.js'

export default class SessionsList extends BaseCommand<typeof SessionsList> {
  static override summary = 'List the sessions on the realm: authid, role, auth method, transport, peer, registrations and subscriptions.'
  static override description =
    "wampctl's own session is left out. REGS and SUBS count the procedures a session is a callee of and its subscriptions (- when not cheaply known)."
  static override examples = ['<%= config.bin %> sessions list', '<%= config.bin %> sessions list --json']

  async run(): Promise<SessionRow[]> {
    const { meta, client } = await this.connect()
    const rows = await listSessions(meta, client.sessionId)
    if (!this.jsonEnabled()) this.log(renderSessionList(rows))
    return rows
  }
}
