import type { MetaClient } from '../../client/meta-client.js'
import { opsActions } from '../live/actions.js'
import { LiveFeed } from '../live/feed.js'
import { runPlain } from '../live/plain.js'
import type { SortKey } from '../live/rows.js'
import { importForTerminal } from '../terminal-ink.js'

export interface TopLaunchOptions {
  meta: MetaClient
  /** Poll period without the extensions, and print period without a terminal, ms. */
  intervalMs: number
  json: boolean
  /** Without a terminal: stop after this many prints. */
  count?: number
  sort?: SortKey
  filter?: string
  banner?: string
  /** Ends the run (a signal). */
  stop?: Promise<void>
  /** On a terminal: how to reconnect when the router goes away (else top ends with the connection). */
  reconnect?: () => Promise<MetaClient>
  /** Draw with ink (default: stdin and stdout are terminals and not --json). */
  interactive?: boolean
  write?: (text: string) => void
  warn?: (text: string) => void
}

/**
 * `wampctl top`: the live feed, drawn with ink on a terminal (imported only then), or printed as
 * plain lines / NDJSON every interval otherwise.
 */
export async function launchTop(options: TopLaunchOptions): Promise<void> {
  const interactive = options.interactive ?? (process.stdout.isTTY === true && process.stdin.isTTY === true && !options.json)
  // Without a terminal (a pipe, a script) a lost router ends top (exit 1): the reader decides what next.
  const feed = await LiveFeed.start(options.meta, {
    intervalMs: options.intervalMs,
    historyLength: 60,
    reconnect: interactive ? options.reconnect : undefined,
  })
  try {
    if (!interactive) {
      if (feed.mode === 'polling' && !options.json) {
        ;(options.warn ?? ((t) => process.stderr.write(t)))(
          `wampctl top: the router has no wampctl extensions; polling the standard meta API every ${feed.intervalMs} ms (no statistics)\n`,
        )
      }
      await runPlain(feed, {
        intervalMs: options.intervalMs,
        count: options.count,
        json: options.json,
        sort: options.sort,
        filter: options.filter,
        write: options.write ?? ((t) => process.stdout.write(t)),
        stop: options.stop,
      })
      return
    }
    const { runTop } = await importForTerminal(() => import('./run-top.js'))
    const running = runTop({
      source: feed,
      actions: opsActions(() => feed.meta),
      banner: options.banner,
      sort: options.sort,
      filter: options.filter,
    })
    void options.stop?.then(() => running.stop())
    await running.done
  } finally {
    await feed.stop()
  }
}
