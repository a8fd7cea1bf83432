import { WampctlError } from '../src/client/errors.js'
import { BaseCommand } from '../src/cli/base-command.js'
import { durationFlag } from '../src/cli/duration-flag.js'

export default class Dashboard extends BaseCommand<typeof Dashboard> {
  static override summary = 'Full-screen dashboard: load distribution, calls/s per callee, registrations, meta events.'
  static override description = `A blessed-contrib grid: a bar chart of the selected registration's load share across its callees, a line chart of calls/s per callee over the last 3 minutes, the registrations, the selected registration's callees, and a log of meta events (joins, leaves, registers, unregisters, cordons, drains).
Keys: Tab/arrows cycle the registration, j/k the callee, c cordon, u uncordon, d drain, e evict (each asks y/n), q quits and restores the terminal.
Needs a terminal; for a machine-readable feed use wampctl top --json.`
  static override examples = [
    '<%= config.bin %> dashboard',
    'NCURSES_NO_UTF8_ACS=1 <%= config.bin %> dashboard   # box borders in tmux/screen',
  ]
  static override enableJsonFlag = false
  static override flags = {
    interval: durationFlag({
      description: 'poll period against a router without the extensions',
      default: 1000,
      rules: { bare: 'ms', minMs: 100 },
    }),
  }

  async run(): Promise<void> {
    if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
      throw new WampctlError(
        'dashboard needs a terminal; for a machine-readable live feed use `wampctl top --json`',
        'WAMPCTL_NOT_A_TERMINAL',
        1,
      )
    }
    const { meta } = await this.connect()
    const { launchDashboard } = await import('../src/ui/dashboard/launch.js')
    let stopRun: () => void = () => {}
    const stop = new Promise<void>((resolve) => (stopRun = resolve))
    process.on('SIGTERM', stopRun)
    try {
      // re-read the context on each attempt: a restarted `router start` writes a fresh admin secret
      await launchDashboard(meta, { intervalMs: this.flags.interval, stop, reconnect: async () => (await this.connect()).meta })
    } finally {
      process.off('SIGTERM', stopRun)
    }
  }
}
