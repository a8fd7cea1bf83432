import type { RolloutEvent, RolloutRecord } from '../../protocol/rollout.js'
import { eventLine, recordLine } from './lines.js'
import { importForTerminal } from '../terminal-ink.js'

/** Where rollout events go while the rollout runs. */
export interface RolloutReporter {
  event(e: RolloutEvent): void
  /** Where the rollout is when watching begins (a rollout picked up midway). */
  seed(r: RolloutRecord): void
  /** Stop drawing; `outcome` is the last thing the live view shows. */
  close(outcome: string): Promise<void>
  /** Whether this reporter wants live `sample` events (only the TTY view draws them). */
  readonly samples: boolean
}

export interface ReporterChoice {
  /** --json: one JSON object per line (NDJSON). */
  json: boolean
  /** stdout is a terminal: the ink view. */
  tty: boolean
  title: string
  gates: string | null
  write?: (line: string) => void
}

/**
 * The ink live view on a terminal; otherwise plain lines, or NDJSON with --json, so a rollout runs
 * unchanged in a CI/CD pipeline. ink and react load only for the live view.
 */
export async function createReporter(choice: ReporterChoice): Promise<RolloutReporter> {
  const write = choice.write ?? ((line: string) => void process.stdout.write(`${line}\n`))
  if (choice.json) {
    return {
      samples: false,
      event: (e) => void (e.event === 'sample' ? null : write(JSON.stringify(e))),
      seed: () => {},
      close: async () => {},
    }
  }
  if (!choice.tty) {
    return {
      samples: false,
      event: (e) => {
        const line = eventLine(e)
        if (line !== null) write(line)
      },
      seed: (r) => write(recordLine(r)),
      close: async () => {},
    }
  }
  const [{ render }, { createElement }, { ProgressView }, { ViewStore }] = await importForTerminal(() =>
    Promise.all([import('ink'), import('react'), import('./progress-view.js'), import('./view-state.js')]),
  )
  const store = new ViewStore()
  const app = render(createElement(ProgressView, { store, title: choice.title, gates: choice.gates }), {
    exitOnCtrlC: false,
    patchConsole: false,
  })
  return {
    samples: true,
    event: (e) => store.apply(e),
    seed: (r) => store.seed(r),
    close: async (outcome) => {
      store.finish(outcome)
      // Let ink draw the final frame, then release the terminal.
      await new Promise((r) => setImmediate(r))
      app.unmount()
      await app.waitUntilExit()
    },
  }
}
