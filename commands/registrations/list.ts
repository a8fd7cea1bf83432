import { Flags } from '@oclif/core'
import { BaseCommand } from '../../src/cli/base-command.js'
import { durationFlag } from '../../src/cli/duration-flag.js'
import { listRegistrations, watchRegistrations } from '../../src/ops/registration-list.js'
import { spreadJson } from '../../src/ops/recent-rates.js'
import type { RegistrationSummary } from '../../src/ops/registration-summary.js'
import { clock } from '../../src/ui/format.js'
import { interruptSignal } from '../../src/ui/interrupt.js'
import { note, statisticsUnavailable } from '../../src/ui/notes.js'
import { renderRegistrationList } from '../../src/ui/registrations-view.js'

export default class RegistrationsList extends BaseCommand<typeof RegistrationsList> {
  static override summary = 'List registrations: callees, calls/s, in flight, errors and how evenly load spreads.'
  static override description =
    'CALLS/S, ERRORS and SPREAD are over the recent window the router keeps: the last 10 stats intervals (10 s by default), the same window as registrations show, top and dashboard. SPREAD is most/fewest calls among the callees that take calls (active, weight above 0): 1.00x = even, ∞ = one of them got no call in the window (null in --json), - = unknown, fewer than 2 such callees, or invoke single/first/last. CALLS TOTAL counts since each callee registered (calls_total in --json). One snapshot; a router that does not keep the window is sampled twice, --sample apart. Against a router without the wampctl extensions, statistics show as - (null in --json).'
  static override examples = [
    '<%= config.bin %> registrations list',
    '<%= config.bin %> registrations list --filter com.example. --match exact --sample 0',
    '<%= config.bin %> registrations list --watch',
    '<%= config.bin %> registrations list --json',
  ]
  static override flags = {
    match: Flags.string({ description: 'only registrations with this match policy', options: ['exact', 'prefix', 'wildcard'] }),
    filter: Flags.string({ description: 'only URIs starting with this prefix' }),
    watch: Flags.boolean({
      char: 'w',
      description: 'redraw every --sample ms until Ctrl-C (not a terminal: a new table, or with --json one JSON line, per interval)',
    }),
    sample: durationFlag({
      description:
        'only against a router that does not keep the recent window: time between the two snapshots calls/s is computed from (0: no sampling, calls/s -); with --watch, the redraw interval (0: 1s)',
      default: 1000,
      rules: { bare: 'ms', zero: true },
    }),
    count: Flags.integer({ description: 'with --watch: stop after this many redraws', min: 1, dependsOn: ['watch'] }),
  }

  async run(): Promise<Array<Record<string, unknown>> | undefined> {
    const f = this.flags
    const filter = { match: f.match as 'exact' | 'prefix' | 'wildcard' | undefined, filter: f.filter }
    const { meta, client } = await this.connect()
    if (!(await meta.capabilitiesOf()).extensions) note(statisticsUnavailable(client.url))
    if (!f.watch) {
      const { rows } = await listRegistrations(meta, filter, f.sample)
      if (!this.jsonEnabled()) this.log(renderRegistrationList(rows))
      return rows.map(toJson)
    }
    const stop = interruptSignal()
    const tty = process.stdout.isTTY === true && !this.jsonEnabled()
    const interval = f.sample > 0 ? f.sample : 1000
    try {
      for await (const { rows } of watchRegistrations(meta, filter, interval, stop.signal, f.count)) {
        if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(rows.map(toJson))}\n`)
        else if (tty)
          process.stdout.write(
            `\x1b[H\x1b[2J${clock(new Date())}  every ${interval} ms, Ctrl-C to stop\n\n${renderRegistrationList(rows)}\n`,
          )
        else process.stdout.write(`${renderRegistrationList(rows)}\n\n`)
      }
    } finally {
      stop.dispose()
    }
    return undefined
  }
}

/** The --json element: the row itself, with an unbounded spread (∞) as null. */
function toJson(r: RegistrationSummary): Record<string, unknown> {
  return { ...r, spread: spreadJson(r.spread) }
}
