import { Flags } from '@oclif/core'
import { BaseCommand } from '../src/cli/base-command.js'
import { durationFlag } from '../src/cli/duration-flag.js'
import { SORT_KEYS, type SortKey } from '../src/ui/live/rows.js'

export default class Top extends BaseCommand<typeof Top> {
  static override summary = 'Live monitor of registrations and callees (calls/s, in flight, errors, spread).'
  static override description = `Registrations sorted by calls/s; Enter opens one: its callees in routing order with state, weight, share of calls, calls/s, in flight, p99 and a calls/s sparkline.
Keys: ↑↓/j/k move, / filter, s sort, Enter/Esc in and out, c cordon, u uncordon, d drain, e evict (each asks y/n), q quit.
Fed by wampctl.stats.on_tick and the meta events; against a router without the wampctl extensions it polls the standard meta API every --interval.
Without a terminal it prints plain lines every --interval (NDJSON with --json), --count times if given.`
  static override examples = [
    '<%= config.bin %> top',
    '<%= config.bin %> top --filter demo. --sort errors',
    '<%= config.bin %> top --json --count 5 | jq .registrations[0]',
  ]
  static override flags = {
    interval: durationFlag({
      description: 'poll period against a router without the extensions, and print period without a terminal',
      default: 1000,
      rules: { bare: 'ms', minMs: 100 },
    }),
    count: Flags.integer({ description: 'without a terminal: stop after this many prints', min: 1 }),
    sort: Flags.string({ description: 'initial sort', options: [...SORT_KEYS], default: 'calls/s' }),
    filter: Flags.string({ description: 'initial URI filter (substring)' }),
  }

  async run(): Promise<void> {
    const { meta } = await this.connect()
    const { launchTop } = await import('../src/ui/top/launch.js')
    let stopRun: () => void = () => {}
    const stop = new Promise<void>((resolve) => (stopRun = resolve))
    // `on`, not `once`: ink's signal-exit re-raises a signal nobody else listens to any more.
    process.on('SIGINT', stopRun)
    process.on('SIGTERM', stopRun)
    // `wampctl top | head -3`: stop when the reader goes away (oclif swallows EPIPE).
    const onStdoutError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EPIPE') stopRun()
    }
    process.stdout.on('error', onStdoutError)
    try {
      await launchTop({
        meta,
        intervalMs: this.flags.interval,
        json: this.jsonEnabled(),
        count: this.flags.count,
        sort: this.flags.sort as SortKey,
        filter: this.flags.filter,
        stop,
        // re-read the context on each attempt: a restarted `router start` writes a fresh admin secret
        reconnect: async () => (await this.connect()).meta,
      })
    } finally {
      process.off('SIGINT', stopRun)
      process.off('SIGTERM', stopRun)
      process.stdout.off('error', onStdoutError)
    }
  }
}
