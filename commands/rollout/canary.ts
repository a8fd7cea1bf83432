import { Args, Flags } from '@oclif/core'
import { UsageError } from '../../src/client/errors.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import { configDir } from '../../src/cli/context.js'
import { formatDuration, parseDuration } from '../../src/ops/duration.js'
import { parseRate, parseSteps, pct, RolloutStore, runCanary, type CanaryResult } from '../../src/ops/rollout/index.js'
import { interruptSignal } from '../../src/ui/interrupt.js'
import { createReporter } from '../../src/ui/rollout/reporter.js'
import { canarySummary } from '../../src/ui/rollout/summary.js'

export default class RolloutCanary extends BaseCommand<typeof RolloutCanary> {
  static override summary = 'Shift traffic to a canary callee in steps, watch its health, then promote it or roll back.'
  static override description = [
    'Waits up to --wait for the canary (--canary SESSION or --canary-authid AUTHID) to register on URI, then gives it',
    "each --steps percentage of the calls in turn using the router's traffic weights, for --interval each.",
    'After every interval the health gates judge the canary over that interval: its error rate (errors / calls) against',
    "--max-error-rate, its p99 latency (the router's, since the canary registered) against --max-p99. An interval in which",
    'the canary served fewer than --min-calls calls proves nothing: by default the step is held for another interval (--on-idle).',
    'A breach rolls back at once: the old callees get their starting weights back, the canary weight 0 and is drained',
    '(it stays registered, cordoned); exit 6. At 100% --on-success retire-old drains and unregisters the old callees one',
    'by one; keep leaves them registered at weight 0. Exit 5 when the canary does not come within --wait, or --timeout runs out (rolled back).',
    'A live view on a terminal; plain lines otherwise; --json: one JSON object per line (events, then the result or the error).',
    '`rollout status` and `rollout abort` work from another shell. Ctrl-C rolls back. Needs the wampctl operations extensions.',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> rollout canary com.example.resize --canary-authid resize-v2 --yes',
    '<%= config.bin %> rollout canary com.example.resize --canary 4711 --steps 10,50,100 --interval 1m --max-error-rate 0.5% --max-p99 300ms --yes',
    '<%= config.bin %> rollout canary com.example.resize --canary-authid resize-v2 --json --yes > rollout.ndjson',
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
    wait: Flags.string({ description: 'how long to wait for the canary to register (500ms, 30s, 2m)', default: '60s' }),
    steps: Flags.string({ description: 'percentages of the traffic, rising, ending at 100', default: '1,5,25,50,100' }),
    interval: Flags.string({ description: 'how long each step is watched before the gates decide', default: '30s' }),
    'max-error-rate': Flags.string({
      description: "roll back when the canary's error rate over an interval is above this (0.01 or 1%)",
      default: '0.01',
    }),
    'max-p99': Flags.string({
      description: "roll back when the canary's p99 latency is above this (e.g. 500ms) [default: no latency gate]",
    }),
    'min-calls': Flags.integer({ description: 'an interval with fewer canary calls than this is idle (no evidence)', default: 1, min: 1 }),
    'on-idle': Flags.string({
      description: 'an idle interval: hold the step, pass it, or roll back',
      options: ['hold', 'pass', 'rollback'],
      default: 'hold',
    }),
    'on-success': Flags.string({
      description: 'at 100%: drain and unregister the old callees, or keep them at weight 0',
      options: ['retire-old', 'keep'],
      default: 'retire-old',
    }),
    'drain-timeout': Flags.string({ description: 'how long each drain may wait for calls in flight', default: '30s' }),
    timeout: Flags.string({ description: 'bound on the whole rollout; rolled back when it runs out (exit 5) [default: none]' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  /** --json streams: every event and the final result or error are one line each (NDJSON). */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<CanaryResult> {
    const f = this.flags
    const uri = this.args.uri
    const waitMs = parseDuration(f.wait, '--wait')
    const intervalMs = parseDuration(f.interval, '--interval')
    const drainTimeoutMs = parseDuration(f['drain-timeout'], '--drain-timeout')
    const timeoutMs = f.timeout === undefined ? null : parseDuration(f.timeout, '--timeout')
    const maxP99Ms = f['max-p99'] === undefined ? null : parseDuration(f['max-p99'], '--max-p99')
    const maxErrorRate = parseRate(f['max-error-rate'], '--max-error-rate')
    const steps = parseSteps(f.steps)
    const canary =
      f.canary !== undefined ? { session: f.canary } : f['canary-authid'] !== undefined ? { authid: f['canary-authid'] } : undefined
    if (canary === undefined) throw new UsageError('name the canary: --canary SESSION or --canary-authid AUTHID')
    const { meta } = await this.connect()
    const store = new RolloutStore(configDir(), meta.client.realm, uri)
    const gates = `error rate ≤ ${pct(maxErrorRate)}${maxP99Ms === null ? '' : `, p99 ≤ ${maxP99Ms} ms`}, at least ${f['min-calls']} call(s) per interval`
    await this.confirm(
      `Start a canary rollout of ${uri} (steps ${steps.join(',')}%, every ${formatDuration(intervalMs)}; ${gates})?`,
      f.yes,
    )
    const reporter = await createReporter({
      json: this.jsonEnabled(),
      tty: process.stdout.isTTY === true,
      title: `rollout canary ${uri}`,
      gates,
    })
    const interrupt = interruptSignal()
    let result: CanaryResult
    try {
      result = await runCanary(meta, {
        uri,
        canary,
        waitMs,
        steps,
        intervalMs,
        gates: { maxErrorRate, maxP99Ms, minCalls: f['min-calls'] },
        onIdle: f['on-idle'] as 'hold' | 'pass' | 'rollback',
        onSuccess: f['on-success'] as 'retire-old' | 'keep',
        drainTimeoutMs,
        timeoutMs,
        sampleMs: reporter.samples ? Math.min(1000, Math.max(100, Math.round(intervalMs / 5))) : null,
        store,
        signal: interrupt.signal,
        onEvent: (e) => reporter.event(e),
      })
    } catch (err) {
      await reporter.close((err as Error).message)
      throw err
    } finally {
      interrupt.dispose()
    }
    await reporter.close('promoted')
    if (!this.jsonEnabled()) this.log(canarySummary(result))
    return result
  }
}
