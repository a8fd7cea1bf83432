import type { CommandRun } from './command-run.js'
import { CONNECTION_FLAGS } from './connection-flags.js'
import { readFlagsFast } from './fast-argv.js'
import type { FlagSpecs, FlagValues } from './flag-spec.js'

/**
 * The start-up fast path (bin/run.js): the common commands, run without loading @oclif/core.
 * oclif's start-up (its ~110 modules, semver, its config and plugin loading) costs more than the
 * rest of `wampctl registrations list` together; an operator runs these commands all day. A
 * command is here when its flags are specs (src/cli/flag-spec.ts) and its body is in
 * src/cli/fast/, shared with its oclif command. Everything else (help, --version, every other
 * command, argv the fast reader does not plainly accept) goes to oclif, which answers as before.
 */
interface FastCommand {
  flags: FlagSpecs
  run(run: CommandRun, flags: Record<string, unknown>): Promise<unknown>
}

/** A command body with its flag specs; the fast reader gives it exactly the values its specs type. */
function fastCommand<S extends FlagSpecs>(flags: S, run: (run: CommandRun, flags: FlagValues<S>) => Promise<unknown>): FastCommand {
  return { flags, run: (r, values) => run(r, values as FlagValues<S>) }
}

const FAST_COMMANDS: Record<string, () => Promise<FastCommand>> = {
  'registrations list': async () => {
    const { registrationsListFlags, runRegistrationsList } = await import('./fast/registrations-list.js')
    return fastCommand(registrationsListFlags, runRegistrationsList)
  },
}

/** Every command's --json (oclif's enableJsonFlag). */
const JSON_FLAG = { json: { kind: 'boolean', description: 'Format output as json.' } } as const satisfies FlagSpecs

/** Runs the command when the fast path can; false: it cannot, run oclif. */
export async function runFast(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const load = FAST_COMMANDS[`${argv[0]} ${argv[1]}`]
  // WAMPCTL_CONTENT_TYPE=json is oclif's other way to ask for --json.
  if (load === undefined || argv.length < 2 || env.WAMPCTL_CONTENT_TYPE !== undefined) return false
  const command = await load()
  const flags = readFlagsFast({ ...CONNECTION_FLAGS, ...JSON_FLAG, ...command.flags }, argv.slice(2), env)
  if (flags === null) return false
  const [{ CommandConnections }, { reportCommandError, writeJson }] = await Promise.all([
    import('./command-connections.js'),
    import('./command-errors.js'),
  ])
  // As oclif does: a reader that goes away (`| head -1`) ends the output, not the run with a trace.
  process.stdout.on('error', swallowEpipe)
  const connections = new CommandConnections(flags)
  const run: CommandRun = {
    json: flags.json,
    connect: () => connections.open(),
    log: (text) => {
      if (!flags.json) process.stdout.write(`${text}\n`)
    },
  }
  let result: unknown
  try {
    result = await command.run(run, flags)
  } catch (err) {
    reportCommandError(err as Error, flags.json)
  } finally {
    await connections.closeAll()
  }
  if (result && flags.json) writeJson(result)
  return true
}

function swallowEpipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err
}
