import { Command, type Interfaces } from '@oclif/core'
import type { WampClient } from '../client/connection.js'
import { SafetyError } from '../client/errors.js'
import type { MetaClient } from '../client/meta-client.js'
import { CommandConnections } from './command-connections.js'
import { reportCommandError, writeJson, type CommandFailure } from './command-errors.js'
import type { CommandRun } from './command-run.js'
import { CONNECTION_FLAGS } from './connection-flags.js'
import type { ConnectionFlags } from './context.js'
import { oclifFlags } from './oclif-flags.js'

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
    writeJson(json)
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

  override async catch(err: CommandFailure): Promise<void> {
    reportCommandError(err, this.jsonEnabled())
  }
}

/** A command that talks to a router: global connection flags, one connection per run, closed at the end. */
export abstract class BaseCommand<T extends typeof Command> extends WampctlCommand<T> {
  static override baseFlags = oclifFlags(CONNECTION_FLAGS)

  private connections: CommandConnections | undefined

  /** Open a session (closed when the command ends). */
  protected async connect(): Promise<{ client: WampClient; meta: MetaClient }> {
    this.connections ??= new CommandConnections(this.connectionFlags())
    return this.connections.open()
  }

  /** This run, for a command body shared with the start-up fast path (src/cli/fast/). */
  protected commandRun(): CommandRun {
    return { json: this.jsonEnabled(), connect: () => this.connect(), log: (text) => this.log(text) }
  }

  override async finally(err: Error | undefined): Promise<void> {
    await this.connections?.closeAll()
    return super.finally(err)
  }

  private connectionFlags(): ConnectionFlags {
    const f = this.flags as Record<string, string | undefined>
    return { url: f.url, realm: f.realm, authid: f.authid, secret: f.secret, ticket: f.ticket, context: f.context }
  }
}
