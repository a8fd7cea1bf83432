import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../src/cli/base-command.js'
import { evict, planEvict, reasonUri, type EvictReport } from '../src/ops/evict.js'
import { renderEvict } from '../src/ui/callee-ops.js'

export default class Evict extends BaseCommand<typeof Evict> {
  static override summary = 'Remove a callee now: revoke one registration (--uri) or all of its registrations.'
  static override description = [
    'Uses wamp.registration.remove_callee; callees that announce registration_revocation receive UNREGISTERED with the reason, others are removed silently.',
    '--reason is sent as the revocation reason URI: a URI (com.example.redeploy) as is, free text as wampctl.evicted.<words> ("deploy v2" → wampctl.evicted.deploy_v2).',
    'On a router without remove_callee, evicting a whole session falls back to wamp.session.kill (and says so).',
    'Calls in flight to the callee are not dropped. Asks for confirmation on a terminal; without one, pass --yes.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> evict 4711 --yes',
    '<%= config.bin %> evict worker-3 --uri com.example.resize --reason "bad build" --yes --json',
  ]
  static override args = {
    session: Args.string({ description: 'session id, or an authid that names exactly one session', required: true }),
  }
  static override flags = {
    uri: Flags.string({ description: 'only this registration (URI or registration id)' }),
    reason: Flags.string({ description: 'why: a URI, or free text made into wampctl.evicted.<words>' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  async run(): Promise<EvictReport> {
    const { meta } = await this.connect()
    const plan = await planEvict(meta, this.args.session, this.flags.uri)
    const uris = plan.registrations.map((r) => r.uri).join(', ')
    await this.confirm(`Evict session ${plan.session.session} from ${uris} (reason ${reasonUri(this.flags.reason)})?`, this.flags.yes)
    const report = await evict(meta, plan, { uri: this.flags.uri, reason: this.flags.reason })
    if (!this.jsonEnabled()) this.log(renderEvict(report))
    return report
  }
}
