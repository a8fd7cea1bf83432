import { Args } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { describeSession, type SessionDetail } from '../../src/ops/session-inventory.js'
import { resolveSession } from '../../src/ops/session-target.js'
import { note, statisticsUnavailable } from '../../src/ui/notes.js'
import { renderSessionDetail } from '../../src/ui/sessions-view.js'

export default class SessionsShow extends BaseCommand<typeof SessionsShow> {
  static override summary =
    'Show one session: its details, the registrations it serves (with its per-callee statistics) and its subscriptions.'
  static override description = 'SESSION is a session id, or an authid that names exactly one session. Unknown: exit 3.'
  static override examples = ['<%= config.bin %> sessions show 5551212', '<%= config.bin %> sessions show billing-7 --json']
  static override args = {
    session: Args.string({ description: 'session id (or an authid naming one session)', required: true }),
  }

  async run(): Promise<SessionDetail> {
    const { meta, client } = await this.connect()
    const session = await resolveSession(meta, this.args.session, client.sessionId)
    const detail = await describeSession(meta, session)
    if (detail.registrations.length > 0 && !(await meta.capabilitiesOf()).extensions) note(statisticsUnavailable(client.url))
    if (!this.jsonEnabled()) this.log(renderSessionDetail(detail))
    return detail
  }
}
