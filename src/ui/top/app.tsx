import { Box, Text, useApp, useInput, useStdout } from 'ink'
import { useEffect, useMemo, useState } from 'react'
import { ACTION_KEYS, confirmQuestion, type ActionTarget, type CalleeAction, type CalleeActions } from '../live/actions.js'
import type { LiveSource } from '../live/feed.js'
import { calleeRows, nextSortKey, registrationRow, registrationRows, sortAndFilter, type SortKey } from '../live/rows.js'
import { RegistrationTable } from './registration-table.js'
import { RegistrationView } from './registration-view.js'
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

interface Prompt {
  action: CalleeAction
  target: ActionTarget
}

const LIST_KEYS = '↑↓ j/k move  Enter open  / filter  s sort  q quit'
const DETAIL_KEYS = '↑↓ j/k select  c cordon  u uncordon  d drain  e evict (each asks y/n)  Esc back  q quit'
const SPARK_SAMPLES = 60

/**
 * `wampctl top`: registrations by calls/s; Enter opens one (its callees, shares, sparklines);
 * c/u/d/e act on the selected callee after a y/n confirmation; q quits.
 */
export function TopApp({ source, actions, banner, maxFps = 10, width, height, initialSort = 'calls/s', initialFilter = '' }: TopAppProps) {
  const { exit } = useApp()
  const { stdout } = useStdout()
  const version = useLiveVersion(source, maxFps)
  const cols = width ?? stdout.columns ?? 100
  const lines = height ?? stdout.rows ?? 30

  const [sort, setSort] = useState<SortKey>(initialSort)
  const [filter, setFilter] = useState(initialFilter)
  const [editing, setEditing] = useState(false)
  const [selectedId, setSelectedId] = useState<number | null>(null)
  const [selectedIndex, setSelectedIndex] = useState(0)
  const [openId, setOpenId] = useState<number | null>(null)
  const [calleeIndex, setCalleeIndex] = useState(0)
  const [prompt, setPrompt] = useState<Prompt | null>(null)
  const [status, setStatus] = useState<string | null>(null)

  const rows = useMemo(() => sortAndFilter(registrationRows(source.model), sort, filter), [source, version, sort, filter])
  const found = selectedId === null ? -1 : rows.findIndex((r) => r.id === selectedId)
  const index = found >= 0 ? found : Math.max(0, Math.min(selectedIndex, rows.length - 1))

  const openReg = openId === null ? undefined : source.model.registrations.get(openId)
  const openRow = openReg === undefined ? undefined : registrationRow(source.model, openReg)
  const callees = useMemo(() => (openId === null ? [] : calleeRows(source.model, openId, SPARK_SAMPLES)), [source, version, openId])
  const cIndex = Math.max(0, Math.min(calleeIndex, callees.length - 1))

  useEffect(() => {
    if (source.closed) exit(new Error(source.problem ?? 'the router closed the connection'))
  }, [source, version, exit])

  const select = (i: number): void => {
    if (rows.length === 0) return
    const j = Math.max(0, Math.min(i, rows.length - 1))
    setSelectedIndex(j)
    setSelectedId(rows[j]!.id)
  }

  const run = (p: Prompt): void => {
    setStatus(`${p.action}…`)
    actions[p.action](p.target, setStatus).then(setStatus, (err: unknown) => setStatus(`${p.action} failed: ${(err as Error).message}`))
  }

  const chrome = 4 + (banner !== undefined ? 1 : 0) + (source.problem !== null ? 1 : 0) + (editing || filter !== '' ? 1 : 0)
  const bodyHeight = Math.max(3, lines - chrome - (openId === null ? 2 : 3))

  useInput((input, key) => {
    if (prompt !== null) {
      if (input === 'y' || input === 'Y') {
        setPrompt(null)
        run(prompt)
      } else if (input === 'n' || input === 'N' || key.escape) {
        setPrompt(null)
        setStatus(`${prompt.action} cancelled`)
      }
      return
    }
    if (editing) {
      if (key.return) setEditing(false)
      else if (key.escape) {
        setFilter('')
        setEditing(false)
      } else if (key.backspace || key.delete) setFilter((f) => f.slice(0, -1))
      else if (input.length > 0 && !key.ctrl && !key.meta) setFilter((f) => f + input)
      return
    }
    if (input === 'q') {
      exit()
      return
    }
    if (openId === null) {
      if (key.upArrow || input === 'k') select(index - 1)
      else if (key.downArrow || input === 'j') select(index + 1)
      else if (key.pageUp) select(index - bodyHeight)
      else if (key.pageDown) select(index + bodyHeight)
      else if (input === '/') setEditing(true)
      else if (input === 's') setSort((s) => nextSortKey(s))
      else if (key.escape && filter !== '') setFilter('')
      else if (key.return && rows[index] !== undefined) {
        setOpenId(rows[index]!.id)
        setSelectedId(rows[index]!.id)
        setCalleeIndex(0)
      }
      return
    }
    if (key.upArrow || input === 'k') setCalleeIndex(Math.max(0, cIndex - 1))
    else if (key.downArrow || input === 'j') setCalleeIndex(Math.min(Math.max(0, callees.length - 1), cIndex + 1))
    else if (key.escape || key.leftArrow || key.backspace) setOpenId(null)
    else if (ACTION_KEYS[input] !== undefined && openRow !== undefined && callees[cIndex] !== undefined) {
      const c = callees[cIndex]!
      setPrompt({ action: ACTION_KEYS[input]!, target: { registration: openRow.id, uri: openRow.uri, session: c.session, authid: c.authid } })
    }
  })

  const mode =
    source.mode === 'live'
      ? `live: stats every ${source.intervalMs} ms`
      : `polling the standard meta API every ${source.intervalMs} ms: this router has no wampctl extensions (no statistics, no cordon/drain)`
  return (
    <Box flexDirection="column" width={cols}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          wampctl top
        </Text>
        {`  ${source.url}  realm ${source.realm}  ·  ${source.model.registrations.size} registrations  ·  `}
        <Text color={source.mode === 'live' ? 'green' : 'yellow'}>{mode}</Text>
      </Text>
      {banner !== undefined ? (
        <Text dimColor wrap="truncate-end">
          {banner}
        </Text>
      ) : null}
      {source.problem !== null ? (
        <Text color="red" wrap="truncate-end">
          {source.problem}
        </Text>
      ) : null}
      <Text> </Text>
      {openId === null ? (
        <RegistrationTable rows={rows} selected={index} width={cols} height={bodyHeight} />
      ) : (
        <RegistrationView registration={openRow} callees={callees} selected={cIndex} width={cols} height={bodyHeight} />
      )}
      {editing || filter !== '' ? <Text color="cyan">{editing ? `/${filter}█` : `filter: ${filter}  (Esc clears)`}</Text> : null}
      <Text dimColor wrap="truncate-end">
        {openId === null ? `${LIST_KEYS}   sort: ${sort}` : DETAIL_KEYS}
      </Text>
      {prompt !== null ? (
        <Text bold color="yellow" wrap="truncate-end">
          {confirmQuestion(prompt.action, prompt.target)}
        </Text>
      ) : (
        <Text wrap="truncate-end">{status ?? ' '}</Text>
      )}
    </Box>
  )
}
