import { listRegistrations, watchRegistrations } from '../../ops/registration-list.js'
import { spreadJson } from '../../ops/recent-rates.js'
import type { RegistrationSummary } from '../../ops/registration-summary.js'
import { clock } from '../../ui/format.js'
import { interruptSignal } from '../../ui/interrupt.js'
import { note, statisticsUnavailable } from '../../ui/notes.js'
import { renderRegistrationList } from '../../ui/registrations-view.js'
import type { CommandRun } from '../command-run.js'
import type { FlagSpecs, FlagValues } from '../flag-spec.js'

/** `wampctl registrations list`: its flags and what it does, without oclif (commands/registrations/list.ts is its oclif face). */
export const registrationsListFlags = {
  match: { kind: 'string', description: 'only registrations with this match policy', options: ['exact', 'prefix', 'wildcard'] },
  filter: { kind: 'string', description: 'only URIs starting with this prefix' },
  watch: {
    kind: 'boolean',
    char: 'w',
    description: 'redraw every --sample ms until Ctrl-C (not a terminal: a new table, or with --json one JSON line, per interval)',
  },
  sample: {
    kind: 'duration',
    description:
      'only against a router that does not keep the recent window: time between the two snapshots calls/s is computed from (0: no sampling, calls/s -); with --watch, the redraw interval (0: 1s)',
    default: 1000,
    rules: { bare: 'ms', zero: true },
  },
  count: { kind: 'integer', description: 'with --watch: stop after this many redraws', min: 1, dependsOn: ['watch'] },
} as const satisfies FlagSpecs

export async function runRegistrationsList(
  run: CommandRun,
  f: FlagValues<typeof registrationsListFlags>,
): Promise<Array<Record<string, unknown>> | undefined> {
  const filter = { match: f.match as 'exact' | 'prefix' | 'wildcard' | undefined, filter: f.filter }
  const { meta, client } = await run.connect()
  if (!(await meta.capabilitiesOf()).extensions) note(statisticsUnavailable(client.url))
  if (!f.watch) {
    const { rows } = await listRegistrations(meta, filter, f.sample)
    if (!run.json) run.log(renderRegistrationList(rows))
    return rows.map(toJson)
  }
  const stop = interruptSignal()
  const tty = process.stdout.isTTY === true && !run.json
  const interval = f.sample > 0 ? f.sample : 1000
  try {
    for await (const { rows } of watchRegistrations(meta, filter, interval, stop.signal, f.count)) {
      if (run.json) process.stdout.write(`${JSON.stringify(rows.map(toJson))}\n`)
      else if (tty)
        process.stdout.write(`\x1b[H\x1b[2J${clock(new Date())}  every ${interval} ms, Ctrl-C to stop\n\n${renderRegistrationList(rows)}\n`)
      else process.stdout.write(`${renderRegistrationList(rows)}\n\n`)
    }
  } finally {
    stop.dispose()
  }
  return undefined
}

/** The --json element: the row itself, with an unbounded spread (∞) as null. */
function toJson(r: RegistrationSummary): Record<string, unknown> {
  return { ...r, spread: spreadJson(r.spread) }
}
