import { WampctlCommand } from '../../src/cli/base-command.js'
import { contextRows, readContexts, type ContextRow } from '../../src/cli/context.js'
import { renderTable } from '../../src/ui/table.js'

export default class ContextList extends WampctlCommand<typeof ContextList> {
  static override summary = 'List the contexts in the config dir; * marks the current one.'
  static override description =
    'A context names a router URL, a realm and credentials (never printed). wampctl router start writes one and makes it current. The config dir is $WAMPCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/wampctl, else ~/.config/wampctl.'
  static override examples = ['<%= config.bin %> context list', '<%= config.bin %> context list --json']

  async run(): Promise<ContextRow[]> {
    const rows = contextRows(readContexts())
    if (!this.jsonEnabled()) {
      this.log(
        rows.length === 0
          ? 'no contexts (wampctl router start writes one)'
          : renderTable(
              [
                { header: 'CURRENT', get: (r: ContextRow) => (r.current ? '*' : '') },
                { header: 'NAME', get: (r) => r.name },
                { header: 'URL', get: (r) => r.url },
                { header: 'REALM', get: (r) => r.realm },
                { header: 'AUTHID', get: (r) => r.authid },
                { header: 'AUTH', get: (r) => r.auth },
              ],
              rows,
            ),
      )
    }
    return rows
  }
}
