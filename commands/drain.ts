import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../src/cli/base-command.js'
import { InterruptedError } from '../src/client/errors.js'
import { assertSafe, refusal } from '../src/ops/drain-safety.js'
import { prepareDrain, runDrain, type DrainReport, type DrainThen } from '../src/ops/drain.js'
import { durationFlag } from '../src/cli/duration-flag.js'
import { formatDuration } from '../src/ops/duration.js'
import { renderDrainPlan, renderDrainSummary, renderDryRun } from '../src/ui/callee-ops.js'
import { plural } from '../src/ui/format.js'
import { interruptedDrain } from '../src/ui/callee-ops.js'
import { aborted, interruptSignal } from '../src/ui/interrupt.js'
import { StatusLine } from '../src/ui/status-line.js'

export default class Drain extends BaseCommand<typeof Drain> {
  static override summary =
    'Take a callee out of rotation without failing a call: cordon, wait for its calls in flight, then unregister, kill or keep it.'
  static override description = [
    'Refuses (exit 4) when a registration would be left with no callee that takes calls (active, weight > 0), unless --force; so does --dry-run (after showing the plan).',
    'Progress (calls in flight left) goes to stderr. On timeout (exit 5) no call is dropped and the callee stays cordoned.',
    'Ctrl-C stops waiting (exit 130): the callee stays cordoned, its calls in flight still finish, --then is not done; the message says how to finish.',
    'Asks for confirmation on a terminal; without one, pass --yes. Needs the wampctl operations extensions.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> drain 4711 --then unregister --yes',
    '<%= config.bin %> drain worker-3 --uri com.example.resize --timeout 2m',
    '<%= config.bin %> drain 4711 --dry-run --json',
  ]
  static override args = {
    session: Args.string({ description: 'session id, or an authid that names exactly one session', required: true }),
  }
  static override flags = {
    uri: Flags.string({ description: 'only this registration (URI or registration id)' }),
    timeout: durationFlag({ description: 'how long to wait for calls in flight', default: 30_000 }),
    then: Flags.string({
      description: 'once drained: unregister (revoke), kill (close the session) or none (stay cordoned)',
      options: ['unregister', 'kill', 'none'],
      default: 'none',
    }),
    force: Flags.boolean({ description: 'drain even the last active callee of a registration', default: false }),
    'dry-run': Flags.boolean({ description: 'show what would happen and change nothing', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  async run(): Promise<DrainReport> {
    const timeoutMs = this.flags.timeout
    const then = this.flags.then as DrainThen
    const { meta } = await this.connect()
    const plan = await prepareDrain(meta, this.args.session, this.flags.uri)
    if (this.flags['dry-run']) {
      if (!this.jsonEnabled()) this.log(renderDryRun(plan, then, timeoutMs))
      if (!plan.safe && !this.flags.force) this.refusedDryRun(refusal(plan, 'drain'))
      return { dry_run: true, forced: false, plan, result: null, inflight_at_start: null }
    }
    assertSafe(plan, 'drain', this.flags.force)
    if (!this.jsonEnabled()) this.log(renderDrainPlan(plan))
    const uris = plan.registrations.map((r) => r.uri).join(', ')
    await this.confirm(`Drain session ${plan.session} from ${uris} (then ${then}, timeout ${formatDuration(timeoutMs)})?`, this.flags.yes)
    const line = new StatusLine(process.stderr)
    const interrupt = interruptSignal()
    let report: DrainReport
    try {
      const drained = runDrain(meta, plan, { uri: this.flags.uri, timeoutMs, then, force: this.flags.force }, (p) =>
        line.update(`draining session ${p.session}: ${plural(p.inflight, 'call')} in flight`),
      )
      drained.catch(() => {})
      const stopped = aborted(interrupt.signal).then(() => null)
      const first = await Promise.race([drained, stopped])
      // Ctrl-C: closing our session ends the drain call; the router keeps the callee cordoned and skips --then.
      if (first === null) throw new InterruptedError(interruptedDrain(plan, then))
      report = first
    } finally {
      interrupt.dispose()
      line.done()
    }
    if (!this.jsonEnabled()) this.log(renderDrainSummary(report))
    return report
  }
}
