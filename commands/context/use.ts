import { Args } from '@oclif/core'
import { WampctlCommand } from '../../src/cli/base-command.js'
import { useContext } from '../../src/cli/context.js'

export default class ContextUse extends WampctlCommand<typeof ContextUse> {
  static override summary = 'Make a context the current one: wampctl commands without --url/--context use it.'
  static override description = 'Unknown context: exit 3, naming the known ones.'
  static override examples = ['<%= config.bin %> context use staging']
  static override args = {
    name: Args.string({ description: 'context name', required: true }),
  }

  async run(): Promise<{ current: string; previous: string | null }> {
    const { previous } = useContext(this.args.name)
    if (!this.jsonEnabled()) {
      this.log(
        previous === this.args.name
          ? `'${this.args.name}' is already the current context`
          : `switched the current context to '${this.args.name}'${previous === undefined ? '' : ` (was '${previous}')`}`,
      )
    }
    return { current: this.args.name, previous: previous ?? null }
  }
}
