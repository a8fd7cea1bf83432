import { Args, Flags } from '@oclif/core'
import { UsageError } from '../../src/client/errors.js'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import { watchToEnd } from '../../src/cli/follow.js'
import { durationFlag } from '../../src/cli/duration-flag.js'
import { formatDuration } from '../../src/ops/duration.js'
import { formatSteps, parseRate, parseSteps, pct } from '../../src/ops/rollout/index.js'
import type { CanarySpec, RolloutRecord } from '../../src/protocol/rollout.js'
import { acceptedLine } from '../../src/ui/rollout/summary.js'

export default class RolloutCanary extends BaseCommand<typeof RolloutCanary> {
  static override summary = 'Submit a canary rollout to the router, then watch it: steps, gates, probe, promote or roll back.'
  static override description = [
    'The router runs the rollout (it goes on if this command exits): it waits up to --wait for the canary (--canary SESSION or',
    "--canary-authid AUTHID) to register on URI, then gives it each --steps share of the calls in turn with the router's traffic",
    'weights. Every --interval a check judges the canary: its error rate over the interval against --max-error-rate, its p99 against',
    '--max-p99, and the --probe procedure called on the canary session only. --failure-limit consecutive failed checks roll back;',
    '--success-limit passed checks move on; a check with fewer than --min-calls canary calls is inconclusive (it waits). Steps may',
    'pause: pause:5m for a time, pause until `wampctl rollout promote|resume`. --dry-run-analysis reports the gates, never rolls back.',
    'Rollback and abort leave the old callees with their starting weights and the canary registered, weight 0, cordoned.',
    'At 100% --on-success retire-old drains and unregisters the old callees; keep leaves them at weight 0 (`rollout undo` brings them back).',
    'Exit 0 promoted, 6 rolled back or aborted, 5 timed out (--wait or --timeout). --detach returns once the router accepted it.',
    'A live view on a terminal, plain lines otherwise, --json NDJSON (events, then the final record). Ctrl-C stops watching only.',
    'Needs an admin role and a router that runs rollouts (wampctl router with its extensions on).',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> rollout canary com.example.resize --canary-authid resize-v2 --yes',
    '<%= config.bin %> rollout canary com.example.resize --canary 4711 --steps 10,pause:5m,50,pause,100 --interval 1m --max-p99 300ms --probe com.example.resize.health --yes',
    '<%= config.bin %> rollout canary com.example.resize --canary-authid resize-v2 --detach --yes && <%= config.bin %> rollout watch com.example.resize',
  ]
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }
  static override flags = {
    canary: Flags.integer({ description: 'session id of the canary callee', exactlyOne: ['canary', 'canary-authid'] }),
    'canary-authid': Flags.string({
      description: 'authid the canary connects with (exactly one such callee)',
      exactlyOne: ['canary', 'canary-authid'],
    }),
    wait: durationFlag({ description: 'how long to wait for the canary to register', default: 60_000 }),
    steps: Flags.string({
      description: 'percentages of the traffic, rising, ending at 100; pause:DURATION or pause between them',
      default: '1,5,25,50,100',
    }),
    interval: durationFlag({ description: 'time between checks', default: 30_000 }),
    'max-error-rate': Flags.string({
      description: "a check fails when the canary's error rate over the interval is above this (0.01 or 1%)",
      default: '0.01',
    }),
    'max-p99': durationFlag({ description: "a check fails when the canary's p99 latency is above this [default: no latency gate]" }),
    'min-calls': Flags.integer({ description: 'a check with fewer canary calls than this is inconclusive', default: 1, min: 1 }),
    'on-idle': Flags.string({
      description: 'an inconclusive check: wait (hold), count it as passed, or roll back',
      options: ['hold', 'pass', 'rollback'],
      default: 'hold',
    }),
    probe: Flags.string({
      description: 'health procedure called at each check on the canary session only (a directed call) [default: none]',
    }),
    'probe-timeout': durationFlag({ description: 'a probe that does not answer within this fails', default: 5_000 }),
    'failure-limit': Flags.integer({ description: 'consecutive failed checks before rolling back', default: 1, min: 1 }),
    'success-limit': Flags.integer({ description: 'consecutive passed checks before the next step', default: 1, min: 1 }),
    'dry-run-analysis': Flags.boolean({ description: 'evaluate and report the gates, never roll back', default: false }),
    'on-success': Flags.string({
      description: 'at 100%: drain and unregister the old callees, or keep them at weight 0',
      options: ['retire-old', 'keep'],
      default: 'retire-old',
    }),
    'drain-timeout': durationFlag({ description: 'how long each drain may wait for calls in flight', default: 30_000 }),
    timeout: durationFlag({ description: 'bound on the whole rollout; rolled back when it runs out (exit 5) [default: none]' }),
    detach: Flags.boolean({ description: 'return as soon as the router accepted the rollout', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  /** --json streams: every event and the final record are one line each (NDJSON). */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<RolloutRecord> {
    const f = this.flags
    const uri = this.args.uri
    const canary =
      f.canary !== undefined ? { session: f.canary } : f['canary-authid'] !== undefined ? { authid: f['canary-authid'] } : undefined
    if (canary === undefined) throw new UsageError('name the canary: --canary SESSION or --canary-authid AUTHID')
    const spec: CanarySpec = {
      kind: 'canary',
      uri,
      canary,
      wait_ms: f.wait,
      steps: parseSteps(f.steps),
      interval_ms: f.interval,
      max_error_rate: parseRate(f['max-error-rate'], '--max-error-rate'),
      max_p99_ms: f['max-p99'] ?? null,
      min_calls: f['min-calls'],
      on_idle: f['on-idle'] as CanarySpec['on_idle'],
      on_success: f['on-success'] as CanarySpec['on_success'],
      drain_timeout_ms: f['drain-timeout'],
      timeout_ms: f.timeout ?? null,
      probe: f.probe ?? null,
      probe_timeout_ms: f['probe-timeout'],
      failure_limit: f['failure-limit'],
      success_limit: f['success-limit'],
      dry_run_analysis: f['dry-run-analysis'],
    }
    const { client } = await this.connect()
    const rc = new RolloutClient(client)
    const gates = `error rate ≤ ${pct(spec.max_error_rate)}${spec.max_p99_ms === null ? '' : `, p99 ≤ ${spec.max_p99_ms} ms`}${spec.probe === null ? '' : `, probe ${spec.probe}`}, at least ${spec.min_calls} call(s) per check${spec.dry_run_analysis ? ' (dry run: never rolls back)' : ''}`
    await this.confirm(
      `Start a canary rollout of ${uri} (steps ${formatSteps(spec.steps)}, checks every ${formatDuration(spec.interval_ms)}; ${gates})?`,
      f.yes,
    )
    if (f.detach) {
      const r = await rc.start(spec)
      if (!this.jsonEnabled()) this.log(acceptedLine(r))
      return r
    }
    return watchToEnd(rc, { spec }, { json: this.jsonEnabled(), title: `rollout canary ${uri}`, gates, log: (l) => this.log(l) })
  }
}
