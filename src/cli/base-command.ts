import { Command, Flags, type Interfaces } from '@oclif/core'
import { MetaClient } from '../client/meta-client.js'
import { WampClient } from '../client/connection.js'
import { SafetyError, WampctlError } from '../client/errors.js'
import { resolveConnection, type Context } from './context.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<T['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Every wampctl command: errors mapped to one line on stderr and an exit code (0 ok, 1 error,
 * 2 usage, 3 not found, 4 refused by a safety check, 5 timeout, 6 rolled back, 130 interrupted), and `--json`
 * returning the same object the table shows. Commands that talk to a router extend BaseCommand.
 */
export abstract class WampctlCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  protected flags!: CommandFlags<T>
  protected args!: CommandArgs<T>
  /** Positional arguments as typed (for commands with variadic arguments). */
  protected rest: string[] = []

  override async init(): Promise<void> {
    await super.init()
    const { args, flags, argv } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: this.ctor.baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    this.rest = argv as string[]
  }

  /**
   * `--json` output: plain JSON, never coloured (oclif's colorizeJson tokenizes the whole text with
   * regular expressions: seconds for 10,000 rows, and escape codes in a pipe).
   */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  /**
   * A dry run of an operation the real run would refuse exits 4 like the real one: the plan is
   * printed (or returned as JSON) as usual, then one `wampctl:` line on stderr says why.
   */
  protected refusedDryRun(why: string): void {
    process.exitCode = 4
    process.stderr.write(`wampctl: dry run: ${why}\n`)
  }

  /**
   * Ask before changing something. On a TTY: a y/N prompt. Without a TTY: refused (exit 4) unless `yes`.
   */
  protected async confirm(question: string, yes: boolean): Promise<void> {
    if (yes) return
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new SafetyError(`${question.replace(/\?$/, '')}: refusing without confirmation (not a terminal); pass --yes`)
    }
    const { createInterface } = await import('node:readline/promises')
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    try {
      const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase()
      if (answer !== 'y' && answer !== 'yes') throw new SafetyError('aborted: not confirmed')
    } finally {
      rl.close()
    }
  }

  override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    const code = err instanceof WampctlError ? err.exitCode : (err.oclif?.exit ?? (isParseError(err) ? 2 : 1))
    if (code === 0) return // oclif's --help / --version exits
    process.exitCode = code
    const message = oneLine(err.message)
    if (this.jsonEnabled()) {
      this.logJson({
        error: { code: err instanceof WampctlError ? err.code : code === 2 ? 'WAMPCTL_USAGE' : 'WAMPCTL_ERROR', message, exit: code },
      })
    } else {
      process.stderr.write(`wampctl: ${message}\n`)
    }
    if (process.env.WAMPCTL_DEBUG && err.stack) process.stderr.write(`${err.stack}\n`)
  }
}

/** A command that talks to a router: global connection flags, one connection per run, closed at the end. */
export abstract class BaseCommand<T extends typeof Command> extends WampctlCommand<T> {
  static override baseFlags = {
    url: Flags.string({
      description: 'router WebSocket URL [default: from the context, else ws://127.0.0.1:8080/ws]',
      env: 'WAMPCTL_URL',
      helpGroup: 'CONNECTION',
    }),
    realm: Flags.string({
      description: 'realm to join [default: from the context, else realm1]',
      env: 'WAMPCTL_REALM',
      helpGroup: 'CONNECTION',
    }),
    authid: Flags.string({ description: 'authentication id', env: 'WAMPCTL_AUTHID', helpGroup: 'CONNECTION' }),
    secret: Flags.string({ description: 'WAMP-CRA secret for --authid', env: 'WAMPCTL_SECRET', helpGroup: 'CONNECTION' }),
    ticket: Flags.string({ description: 'ticket for --authid (ticket authentication)', env: 'WAMPCTL_TICKET', helpGroup: 'CONNECTION' }),
    context: Flags.string({
      description: 'named context from the config dir [default: the current one]',
      env: 'WAMPCTL_CONTEXT',
      helpGroup: 'CONNECTION',
    }),
  }

  private clients: WampClient[] = []

  /** Where and as whom to connect: context, overridden field by field by flags and environment. */
  protected connection(): Context {
    const f = this.flags as Record<string, string | undefined>
    return resolveConnection({ url: f.url, realm: f.realm, authid: f.authid, secret: f.secret, ticket: f.ticket, context: f.context })
  }

  /** Open a session (closed when the command ends). */
  protected async connect(): Promise<{ client: WampClient; meta: MetaClient }> {
    const ctx = this.connection()
    const client = await WampClient.connect({ url: ctx.url, realm: ctx.realm, authid: ctx.authid, secret: ctx.secret, ticket: ctx.ticket })
    this.clients.push(client)
    return { client, meta: new MetaClient(client) }
  }

  override async finally(err: Error | undefined): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()))
    return super.finally(err)
  }
}

function isParseError(err: Error): boolean {
  return (
    /Nonexistent flag|Unexpected argument|Missing required|Expected .* to be one of|Parsing --/.test(err.message) ||
    err.name === 'CLIParseError'
  )
}

/**
 * One line for stderr. oclif's parse errors span lines ("Parsing --count" / "Expected an integer…",
 * "The following error occurred:" / "All of the following must be provided…", "Missing 1 required
 * arg:" / "session  …", "See more help…"): their substance is joined, their boilerplate dropped.
 */
function oneLine(s: string): string {
  const all = s.split('\n').map((l) => l.replace(/^\s*Error:\s*/, '').trim())
  const validation = all.some((l) => /^The following errors? occurred:$/.test(l))
  const lines = all.filter((l) => l.length > 0 && !/^The following errors? occurred:$/.test(l) && !/^See more help with --help$/.test(l))
  if (lines.length === 0) return s.trim()
  const [first, ...rest] = lines as [string, ...string[]]
  if (validation) return lines.join('; ')
  // A flag's own parser (durations) names the flag already: "Parsing --timeout" adds nothing.
  if (rest.length > 0 && /^Parsing --\S+$/.test(first))
    return rest[0]!.includes(first.slice(8)) ? rest.join('; ') : `${first}: ${rest.join('; ')}`
  if (rest.length > 0 && /^Missing \d+ required args?:$/.test(first))
    return `${first} ${rest.map((l) => (/\s{2,}/.test(l) ? `${l.replace(/\s{2,}/, ' (')})` : l)).join(', ')}`
  return first
}
