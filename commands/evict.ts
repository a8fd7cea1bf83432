import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../src/cli/base-command.js'
import { assertSafe, refusal } from '../src/ops/drain-safety.js'
import { evict, planEvict, reasonUri, type EvictDryRun, type EvictReport } from '../src/ops/evict.js'
import { renderEvict, renderEvictDryRun } from '../src/ui/callee-ops.js'

export default class Evict extends BaseCommand<typeof Evict> {
  static override summary = 'Remove a callee now: revoke one registration (--uri) or all of its registrations.'
  static override description = [
    'Uses wamp.registration.remove_callee; callees that announce registration_revocation receive UNREGISTERED with the reason, others are removed silently.',
    '--reason is sent as the revocation reason URI: a URI (com.example.redeploy) as is, free text as wampctl.evicted.<words> ("deploy v2" → wampctl.evicted.deploy_v2).',
    'On a router without remove_callee, evicting a whole session falls back to wamp.session.kill (and says so).',
    'Refuses (exit 4) to leave a registration with no callee that takes calls (active, weight > 0), unless --force; --dry-run shows the plan and exits 4 where the real run would be refused.',
    'On a router that answers an error although it removed the callee (Crossbar), list_callees decides, and the error is shown as a note.',
    'Calls in flight to the callee are not dropped. Asks for confirmation on a terminal; without one, pass --yes.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> evict 4711 --yes',
    '<%= config.bin %> evict worker-3 --uri com.example.resize --reason "bad build" --yes --json',
    '<%= config.bin %> evict 4711 --dry-run',
  ]
  static override args = {
    session: Args.string({ description: 'session id, or an authid that names exactly one session', required: true }),
  }
  static override flags = {
    uri: Flags.string({ description: 'only this registration (URI or registration id)' }),
    reason: Flags.string({ description: 'why: a URI, or free text made into wampctl.evicted.<words>' }),
    force: Flags.boolean({
      description: 'evict even the last callee taking calls of a registration (its calls then fail with no_available_callee)',
      default: false,
    }),
    'dry-run': Flags.boolean({ description: 'show what would happen and change nothing', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  async run(): Promise<EvictReport | EvictDryRun> {
    const { meta } = await this.connect()
    const plan = await planEvict(meta, this.args.session, this.flags.uri)
    const reason = reasonUri(this.flags.reason)
    if (this.flags['dry-run']) {
      const refused = plan.safety.safe || this.flags.force ? null : refusal(plan.safety, 'evict')
      if (!this.jsonEnabled()) this.log(renderEvictDryRun(plan, reason, refused))
      if (refused !== null) this.refusedDryRun(refused)
      return { dry_run: true, session: plan.session.session, authid: plan.session.authid, reason, refused, plan: plan.safety }
    }
    assertSafe(plan.safety, 'evict', this.flags.force)
    const uris = plan.registrations.map((r) => r.uri).join(', ')
    await this.confirm(`Evict session ${plan.session.session} from ${uris} (reason ${reason})?`, this.flags.yes)
    const report = await evict(meta, plan, { uri: this.flags.uri, reason: this.flags.reason, force: this.flags.force })
    if (!this.jsonEnabled()) this.log(renderEvict(report))
    return report
  }
}
