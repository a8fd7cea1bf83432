import { Args } from '@oclif/core'
import { WampctlCommand } from '../../src/cli/base-command.js'
import { contextRows, readContexts, unknownContext, type ContextRow } from '../../src/cli/context.js'
import { NotFoundError } from '../../src/client/errors.js'

export default class ContextShow extends WampctlCommand<typeof ContextShow> {
  static override summary = 'Show a context (default: the current one): URL, realm, authid and how it authenticates.'
  static override description = 'Secrets and tickets are never printed. No current context, or an unknown name: exit 3.'
  static override examples = ['<%= config.bin %> context show', '<%= config.bin %> context show staging --json']
  static override args = {
    name: Args.string({ description: 'context name [default: the current one]' }),
  }

  async run(): Promise<ContextRow> {
    const file = readContexts()
    const name = this.args.name ?? file.current
    if (name === undefined) throw new NotFoundError('no current context (wampctl context use NAME, or wampctl router start, sets one)')
    const row = contextRows(file).find((r) => r.name === name)
    if (row === undefined) throw unknownContext(name, file)
    if (!this.jsonEnabled()) {
      const lines: Array<[string, string | null]> = [
        ['name', `${row.name}${row.current ? ' (current)' : ''}`],
        ['url', row.url],
        ['realm', row.realm],
        ['authid', row.authid],
        ['auth', row.auth],
      ]
      this.log(lines.map(([k, v]) => `${`${k}:`.padEnd(8)} ${v ?? '-'}`).join('\n'))
    }
    return row
  }
}
