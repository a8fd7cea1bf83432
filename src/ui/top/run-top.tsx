import { render } from 'ink'
import type { CalleeActions } from '../live/actions.js'
import type { LiveSource } from '../live/feed.js'
import type { SortKey } from '../live/rows.js'
import { TopApp } from './app.js'

export interface RunTopOptions {
  source: LiveSource
  actions: CalleeActions
  banner?: string
  sort?: SortKey
  filter?: string
  /** Redraws per second at most. Default 10. */
  maxFps?: number
  stdout?: NodeJS.WriteStream
  stdin?: NodeJS.ReadStream
  /** Called after every render (the bench counts redraws with it). */
  onRender?: () => void
  /** Draw on the terminal's alternate screen and restore it on exit (default: when stdout is a TTY). */
  alternateScreen?: boolean
}

export interface RunningTop {
  /** Resolves when the user quits (q, Ctrl-C); rejects when the connection is lost. */
  done: Promise<void>
  /** End it from outside (a signal). */
  stop(): void
}

const ENTER_ALT = '\u001b[?1049h\u001b[H'
const LEAVE_ALT = '\u001b[?1049l'

/** Render `wampctl top` with ink on a terminal. */
export function runTop(options: RunTopOptions): RunningTop {
  const stdout = options.stdout ?? process.stdout
  const maxFps = options.maxFps ?? 10
  const alt = options.alternateScreen ?? stdout.isTTY === true
  if (alt) stdout.write(ENTER_ALT)
  const instance = render(
    <TopApp
      source={options.source}
      actions={options.actions}
      banner={options.banner}
      maxFps={maxFps}
      initialSort={options.sort}
      initialFilter={options.filter}
    />,
    {
      stdout,
      stdin: options.stdin ?? process.stdin,
      maxFps,
      patchConsole: false,
      exitOnCtrlC: true,
      onRender: options.onRender,
    },
  )
  let restored = false
  const restore = (): void => {
    if (restored) return
    restored = true
    instance.cleanup()
    if (alt) stdout.write(LEAVE_ALT)
  }
  const done = instance.waitUntilExit().then(
    () => restore(),
    (err: unknown) => {
      restore()
      throw err
    },
  )
  return {
    done: done.then(() => undefined),
    stop() {
      instance.unmount()
    },
  }
}
