import { Box, Text, useApp, useInput, useStdout } from 'ink'
import { useEffect, useReducer, useRef } from 'react'
import { actionFailure, confirmQuestion, type CalleeActions } from '../live/actions.js'
import { windowLabel } from '../../ops/recent-rates.js'
import { disconnectedLine } from '../live/connection-status.js'
import type { LiveSource } from '../live/feed.js'
import type { SortKey } from '../live/rows.js'
import { RegistrationTable } from './registration-table.js'
import { RegistrationView } from './registration-view.js'
import { applyKey, initialState, viewOf, type Key, type Prompt } from './top-state.js'
import { useLiveVersion } from './use-live.js'

export interface TopAppProps {
  source: LiveSource
  actions: CalleeActions
  /** A line under the title (the demo says what to try). */
  banner?: string
  /** Redraws per second at most, model → screen. Default 10. */
  maxFps?: number
  /** Terminal size override (tests); default: the terminal's. */
  width?: number
  height?: number
  initialSort?: SortKey
  initialFilter?: string
}

const LIST_KEYS = '↑↓ j/k move  Enter open  / filter  s sort  q quit'
const DETAIL_KEYS = '↑↓ j/k select  c cordon  u uncordon  d drain  e evict (each asks y/N)  Esc back  q quit'
/** The same keys for a narrow terminal (under 100 columns). */
const DETAIL_KEYS_NARROW = 'j/k select  c/u/d/e cordon/uncordon/drain/evict  Esc back  q quit'
const SPARK_SAMPLES = 60

/**
 * `wampctl top`: registrations by calls/s; Enter opens one (its callees, shares, sparklines);
 * c/u/d/e act on the selected callee after a y/n confirmation; q quits.
 */
export function TopApp({ source, actions, banner, maxFps = 10, width, height, initialSort = 'calls/s', initialFilter = '' }: TopAppProps) {
  const { exit } = useApp()
  const { stdout } = useStdout()
  const version = useLiveVersion(source, maxFps)
  const [, bump] = useReducer((n: number) => n + 1, 0)
  const state = useRef(initialState(initialSort, initialFilter))
  const cols = width ?? stdout.columns ?? 100
  const lines = height ?? stdout.rows ?? 30
  const s = state.current

  useEffect(() => {
    if (source.closed) exit(new Error(source.problem ?? 'the router closed the connection'))
  }, [source, version, exit])

  const chrome = 4 + (banner !== undefined ? 1 : 0) + (source.mode === 'polling' ? 1 : 0) + (source.problem !== null ? 1 : 0)
  const bodyHeight = (st: typeof s): number =>
    Math.max(3, lines - chrome - (st.editing || st.filter !== '' ? 1 : 0) - (st.openId === null ? 2 : 4))

  const run = (p: Prompt): void => {
    const show = (line: string): void => {
      state.current.status = line
      bump()
    }
    actions[p.action](p.target, show).then(show, (err: unknown) => show(actionFailure(p.action, err)))
  }

  useInput((input, key) => {
    const st = state.current
    // Several plain keys in one read (typed fast, pasted) count one by one, each seeing the state
    // the previous one left: "/abc" opens the filter and types into it, "ab\r" types and ends it.
    const keys: Array<{ input: string; key: Key }> =
      input.length > 1 && key.ctrl !== true && key.meta !== true
        ? [...input].map((ch) => ({ input: ch, key: charKey(ch) }))
        : [{ input, key }]
    for (const k of keys) {
      const outcome = applyKey(st, k.input, k.key, viewOf(source.model, st, SPARK_SAMPLES), bodyHeight(st))
      if (outcome.kind === 'quit') {
        exit()
        return
      }
      if (outcome.kind === 'run') run(outcome.prompt)
    }
    bump()
  })

  const view = viewOf(source.model, s, SPARK_SAMPLES)
  const disconnected = disconnectedLine(source)
  const modeLine =
    source.mode === 'live'
      ? `live: stats every ${source.intervalMs} ms, rates over ${windowLabel(source.intervalMs)}`
      : `polling every ${source.intervalMs} ms`
  const total = source.model.registrations.size
  const counted = s.filter.trim() === '' ? plural(total, 'registration') : `${view.rows.length} of ${plural(total, 'registration')}`
  return (
    <Box flexDirection="column" width={cols}>
      {disconnected !== null ? (
        <Text wrap="truncate-end">
          <Text bold color="cyan">
            wampctl top
          </Text>
          {'  '}
          <Text bold color="red">
            {disconnected}
          </Text>
          {`  ·  ${source.url}  realm ${source.realm}`}
        </Text>
      ) : (
        <Text wrap="truncate-end">
          <Text bold color="cyan">
            wampctl top
          </Text>
          {'  '}
          <Text color={source.mode === 'live' ? 'green' : 'yellow'}>{modeLine}</Text>
          {`  ·  ${counted}  ·  ${source.url}  realm ${source.realm}`}
        </Text>
      )}
      {source.mode === 'polling' ? (
        <Text color="yellow" wrap="truncate-end">
          {`polling the standard meta API every ${source.intervalMs} ms: this router has no wampctl extensions (no statistics, no cordon/drain)`}
        </Text>
      ) : null}
      {banner !== undefined ? (
        <Text dimColor wrap="truncate-end">
          {banner}
        </Text>
      ) : null}
      {source.problem !== null ? (
        <Text color="red" wrap="truncate-end">
          {source.disconnected ? `STALE: the rows are the last data seen, not live · ${source.problem}` : source.problem}
        </Text>
      ) : null}
      <Text> </Text>
      {s.openId === null ? (
        <RegistrationTable rows={view.rows} selected={view.index} width={cols} height={bodyHeight(s)} stale={source.disconnected} />
      ) : (
        <RegistrationView
          registration={view.open}
          callees={view.callees}
          selected={view.calleeIndex}
          width={cols}
          height={bodyHeight(s)}
          stale={source.disconnected}
        />
      )}
      {s.editing || s.filter !== '' ? <Text color="cyan">{s.editing ? `/${s.filter}█` : `filter: ${s.filter}  (Esc clears)`}</Text> : null}
      <Text dimColor wrap="truncate-end">
        {s.openId === null ? `${LIST_KEYS}   sort: ${s.sort}` : cols < 100 ? DETAIL_KEYS_NARROW : DETAIL_KEYS}
      </Text>
      {s.prompt !== null ? (
        <Text bold color="yellow" wrap="truncate-end">
          {confirmQuestion(s.prompt.action, s.prompt.target)}
        </Text>
      ) : (
        <Text wrap="truncate-end">{s.status ?? ' '}</Text>
      )}
    </Box>
  )
}

/** "1 registration", "3 registrations". */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** One character of a multi-character read, as the key it stands for. */
function charKey(ch: string): Key {
  if (ch === '\r' || ch === '\n') return { return: true }
  if (ch === '\x7f' || ch === '\b') return { backspace: true }
  return {}
}
