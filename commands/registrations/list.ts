import { BaseCommand } from '../../src/cli/base-command.js'
import { registrationsListFlags, runRegistrationsList } from '../../src/cli/fast/registrations-list.js'
import { oclifFlags } from '../../src/cli/oclif-flags.js'

/** The oclif face of `registrations list` (help, manifest); what it does is in src/cli/fast/registrations-list.ts, which the start-up fast path runs too. */
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
  static override flags = oclifFlags(registrationsListFlags)

  async run(): Promise<Array<Record<string, unknown>> | undefined> {
    return runRegistrationsList(this.commandRun(), this.flags)
  }
}
