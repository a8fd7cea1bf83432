import { Args, Flags } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { configDir } from '../../src/cli/context.js'
import { formatDuration, parseDuration } from '../../src/ops/duration.js'
import { RolloutStore, runReplace, type ReplaceResult } from '../../src/ops/rollout/index.js'
import { interruptSignal } from '../../src/ui/interrupt.js'
import { createReporter } from '../../src/ui/rollout/reporter.js'
import { replaceSummary } from '../../src/ui/rollout/summary.js'

export default class RolloutReplace extends BaseCommand<typeof RolloutReplace> {
  static override summary = 'Rolling replacement: wait for new callees, then drain the old ones one at a time.'
  static override description = [
    'Waits for --count new callees of URI (sessions with --new-authid, or sessions that register after the command starts),',
    'then drains the old callees one at a time (then unregister): each leaves rotation at once and is unregistered once its',
    'calls in flight finish, so no call fails. Never leaves fewer than --min-available active callees (it waits instead).',
    '--timeout bounds the whole run (exit 5). Plain lines, or --json: one JSON object per line (events, then the result or the error).',
    'Needs a router that can drain (the wampctl operations extensions).',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> rollout replace com.example.resize --count 3 --yes',
    '<%= config.bin %> rollout replace com.example.resize --count 3 --new-authid resize-v2 --min-available 2 --timeout 10m --yes',
  ]
  static override args = {
    uri: Args.string({ description: 'procedure URI', required: true }),
  }
  static override flags = {
    count: Flags.integer({ description: 'new callees to wait for before draining any old one', default: 3, min: 1 }),
    'new-authid': Flags.string({
      description: 'new callees are those with this authid [default: those that register after the command starts]',
    }),
    'min-available': Flags.integer({ description: 'never leave fewer active callees than this', default: 1, min: 0 }),
    timeout: Flags.string({ description: 'bound on the whole run (exit 5)', default: '5m' }),
    'drain-timeout': Flags.string({ description: 'how long each drain may wait for calls in flight', default: '30s' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<ReplaceResult> {
    const f = this.flags
    const uri = this.args.uri
    const timeoutMs = parseDuration(f.timeout, '--timeout')
    const drainTimeoutMs = parseDuration(f['drain-timeout'], '--drain-timeout')
    const { meta } = await this.connect()
    const store = new RolloutStore(configDir(), meta.client.realm, uri)
    const which = f['new-authid'] === undefined ? 'callees that register from now on' : `callees with authid '${f['new-authid']}'`
    await this.confirm(
      `Replace the callees of ${uri} with ${f.count} new ${which}, keeping ${f['min-available']} active (timeout ${formatDuration(timeoutMs)})?`,
      f.yes,
    )
    const reporter = await createReporter({ json: this.jsonEnabled(), tty: false, title: `rollout replace ${uri}`, gates: null })
    const interrupt = interruptSignal()
    let result: ReplaceResult
    try {
      result = await runReplace(meta, {
        uri,
        count: f.count,
        newAuthid: f['new-authid'] ?? null,
        minAvailable: f['min-available'],
        timeoutMs,
        drainTimeoutMs,
        store,
        signal: interrupt.signal,
        onEvent: (e) => reporter.event(e),
      })
    } finally {
      interrupt.dispose()
      await reporter.close('')
    }
    if (!this.jsonEnabled()) this.log(replaceSummary(result))
    return result
  }
}
