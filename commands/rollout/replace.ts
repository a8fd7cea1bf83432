import { Args, Flags } from '@oclif/core'
import { RolloutClient } from '../../src/client/rollout-client.js'
import { BaseCommand } from '../../src/cli/base-command.js'
import { watchToEnd } from '../../src/cli/follow.js'
import { durationFlag } from '../../src/cli/duration-flag.js'
import { formatDuration } from '../../src/ops/duration.js'
import type { ReplaceSpec, RolloutRecord } from '../../src/protocol/rollout.js'
import { acceptedLine } from '../../src/ui/rollout/summary.js'

export default class RolloutReplace extends BaseCommand<typeof RolloutReplace> {
  static override summary = 'Submit a rolling replacement to the router: wait for new callees, then drain the old ones one at a time.'
  static override description = [
    'The router runs it (it goes on if this command exits): it waits for --count new callees of URI (sessions with --new-authid,',
    'or sessions that register after the start), then drains the old callees one at a time (then unregisters them): each leaves',
    'rotation at once and is unregistered once its calls in flight finish, so no call fails. Never leaves fewer than',
    '--min-available callees taking calls (it waits instead). --timeout bounds the whole run (exit 5). --detach returns once accepted.',
    'Plain lines, or --json: one JSON object per line (events, then the final record). Ctrl-C stops watching only.',
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
    'new-authid': Flags.string({ description: 'new callees are those with this authid [default: those that register after the start]' }),
    'min-available': Flags.integer({ description: 'never leave fewer callees taking calls than this', default: 1, min: 0 }),
    timeout: durationFlag({ description: 'bound on the whole run (exit 5)', default: 300_000 }),
    'drain-timeout': durationFlag({ description: 'how long each drain may wait for calls in flight', default: 30_000 }),
    detach: Flags.boolean({ description: 'return as soon as the router accepted the rollout', default: false }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }

  async run(): Promise<RolloutRecord> {
    const f = this.flags
    const uri = this.args.uri
    const spec: ReplaceSpec = {
      kind: 'replace',
      uri,
      count: f.count,
      new_authid: f['new-authid'] ?? null,
      min_available: f['min-available'],
      timeout_ms: f.timeout,
      drain_timeout_ms: f['drain-timeout'],
    }
    const { client } = await this.connect()
    const rc = new RolloutClient(client)
    const which = spec.new_authid === null ? 'callees that register from now on' : `callees with authid '${spec.new_authid}'`
    await this.confirm(
      `Replace the callees of ${uri} with ${spec.count} new ${which}, keeping ${spec.min_available} taking calls (timeout ${formatDuration(spec.timeout_ms)})?`,
      f.yes,
    )
    if (f.detach) {
      const r = await rc.start(spec)
      if (!this.jsonEnabled()) this.log(acceptedLine(r))
      return r
    }
    return watchToEnd(rc, { spec }, { json: this.jsonEnabled(), title: `rollout replace ${uri}`, gates: null, log: (l) => this.log(l) })
  }
}
