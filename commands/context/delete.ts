import { Args } from '@oclif/core'
import { WampctlCommand } from '../../src/cli/base-command.js'
import { readContexts, removeContext, unknownContext } from '../../src/cli/context.js'

export default class ContextDelete extends WampctlCommand<typeof ContextDelete> {
  static override summary = 'Delete a context from the config dir (and its stored credentials).'
  static override description =
    'Deleting the current context leaves none current (say which with wampctl context use). Unknown context: exit 3.'
  static override examples = ['<%= config.bin %> context delete old-staging']
  static override args = {
    name: Args.string({ description: 'context name', required: true }),
  }

  async run(): Promise<{ deleted: string; was_current: boolean }> {
    const file = readContexts()
    const name = this.args.name
    if (!(name in file.contexts)) throw unknownContext(name, file)
    const wasCurrent = file.current === name
    removeContext(name)
    if (!this.jsonEnabled()) {
      this.log(`deleted context '${name}'${wasCurrent ? '; no context is current now (wampctl context use NAME picks one)' : ''}`)
    }
    return { deleted: name, was_current: wasCurrent }
  }
}
