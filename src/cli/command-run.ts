import type { WampClient } from '../client/connection.js'
import type { MetaClient } from '../client/meta-client.js'

/**
 * What a command body needs from the run it is part of, whether oclif runs it (BaseCommand) or
 * the start-up fast path does (src/cli/fast-path.ts).
 */
export interface CommandRun {
  /** --json: the body returns the object to print and prints nothing else on stdout. */
  readonly json: boolean
  /** A session to the router of the run's connection flags, closed when the run ends. */
  connect(): Promise<{ client: WampClient; meta: MetaClient }>
  /** One line on stdout (nothing with --json). */
  log(text: string): void
}
