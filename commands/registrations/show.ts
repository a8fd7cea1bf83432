import { Args } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { spreadJson } from '../../src/ops/recent-rates.js'
import { detailOf, type RegistrationDetail } from '../../src/ops/registration-summary.js'
import { nodesMissing, note, statisticsUnavailable } from '../../src/ui/notes.js'
import { renderRegistrationDetail } from '../../src/ui/registrations-view.js'

export default class RegistrationsShow extends BaseCommand<typeof RegistrationsShow> {
  static override summary =
    'Show the callees of one registration in registration order: state, weight, calls/s and share of calls, in flight, errors, p50/p99.'
  static override description =
    'The argument is a registration id or a URI (looked up as an exact, prefix, then wildcard registration, else the registration a call to that URI would reach). Unknown: exit 3. CALLS/S, SHARE, ERRORS and the spread are over the recent window the router keeps (the last 10 stats intervals, 10 s by default), as in registrations list, top and dashboard; CALLS TOTAL counts since the callee registered. Against a router without the wampctl extensions, state and statistics show as - (null in --json).'
  static override examples = ['<%= config.bin %> registrations show com.example.add', '<%= config.bin %> registrations show 4711 --json']
  static override args = {
    registration: Args.string({ description: 'registration URI or id', required: true }),
  }

  async run(): Promise<RegistrationDetail> {
    const { meta, client } = await this.connect()
    const id = await meta.resolveRegistration(this.args.registration)
    const view = await meta.describe(id)
    const detail = detailOf(view)
    if (!(await meta.capabilitiesOf()).extensions) note(statisticsUnavailable(client.url))
    const missing = nodesMissing(view.missing_nodes)
    if (missing !== undefined) note(missing)
    if (!this.jsonEnabled()) this.log(renderRegistrationDetail(detail))
    return { ...detail, spread: spreadJson(detail.spread) }
  }
}
