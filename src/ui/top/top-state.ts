import { ACTION_KEYS, type ActionTarget, type CalleeAction } from '../live/actions.js'
import type { LiveModel } from '../live/model.js'
import {
  calleeRows,
  nextSortKey,
  registrationRow,
  registrationRows,
  sortAndFilter,
  type CalleeRow,
  type RegistrationRow,
  type SortKey,
} from '../live/rows.js'

export interface Prompt {
  action: CalleeAction
  target: ActionTarget
}

/**
 * Everything the user changed in `top`. Kept in one mutable object that every key updates in
 * order: keys that arrive together (a paste, a fast typist, a test) each see the state the
 * previous one left, whatever React has rendered yet.
 */
export interface TopState {
  sort: SortKey
  filter: string
  editing: boolean
  selectedId: number | null
  selectedIndex: number
  openId: number | null
  calleeIndex: number
  prompt: Prompt | null
  status: string | null
}

export function initialState(sort: SortKey = 'calls/s', filter = ''): TopState {
  return { sort, filter, editing: false, selectedId: null, selectedIndex: 0, openId: null, calleeIndex: 0, prompt: null, status: null }
}

/** What the screen shows for a state: rows, the selected one, the open registration's callees. */
export interface TopView {
  rows: RegistrationRow[]
  index: number
  open: RegistrationRow | undefined
  callees: CalleeRow[]
  calleeIndex: number
}

/**
 * The screen for a state. The selection follows its registration when rows reorder (a re-sort,
 * new rates): once a row is shown selected, its id is pinned in the state, so the next key acts
 * on what the operator saw. Only when that registration is gone does it fall back to the same
 * position.
 */
export function viewOf(model: LiveModel, s: TopState, samples: number): TopView {
  const rows = sortAndFilter(registrationRows(model), s.sort, s.filter)
  const found = s.selectedId === null ? -1 : rows.findIndex((r) => r.id === s.selectedId)
  const index = found >= 0 ? found : Math.max(0, Math.min(s.selectedIndex, rows.length - 1))
  if (rows[index] !== undefined) {
    s.selectedId = rows[index].id
    s.selectedIndex = index
  }
  const reg = s.openId === null ? undefined : model.registrations.get(s.openId)
  const open = reg === undefined ? undefined : registrationRow(model, reg)
  const callees = s.openId === null ? [] : calleeRows(model, s.openId, samples)
  return { rows, index, open, callees, calleeIndex: Math.max(0, Math.min(s.calleeIndex, callees.length - 1)) }
}

/** The keys ink reports (the subset top uses). */
export interface Key {
  upArrow?: boolean
  downArrow?: boolean
  leftArrow?: boolean
  pageUp?: boolean
  pageDown?: boolean
  return?: boolean
  escape?: boolean
  backspace?: boolean
  delete?: boolean
  ctrl?: boolean
  meta?: boolean
}

export type KeyOutcome = { kind: 'none' } | { kind: 'quit' } | { kind: 'run'; prompt: Prompt }

/** Apply one key to the state (mutated in place); say whether to quit or to run a confirmed action. */
export function applyKey(s: TopState, input: string, key: Key, view: TopView, pageSize: number): KeyOutcome {
  if (s.prompt !== null) {
    const p = s.prompt
    if (input === 'y' || input === 'Y') {
      s.prompt = null
      s.status = `${p.action}…`
      return { kind: 'run', prompt: p }
    }
    if (input === 'n' || input === 'N' || key.escape === true || key.return === true) {
      s.prompt = null
      s.status = `${p.action} cancelled`
    }
    return { kind: 'none' }
  }
  if (s.editing) {
    if (key.return === true) s.editing = false
    else if (key.escape === true) {
      s.filter = ''
      s.editing = false
    } else if (key.backspace === true || key.delete === true) s.filter = s.filter.slice(0, -1)
    else if (input.length > 0 && key.ctrl !== true && key.meta !== true) s.filter += input
    return { kind: 'none' }
  }
  if (input === 'q') return { kind: 'quit' }
  if (s.openId === null) {
    const select = (i: number): void => {
      if (view.rows.length === 0) return
      const j = Math.max(0, Math.min(i, view.rows.length - 1))
      s.selectedIndex = j
      s.selectedId = view.rows[j]!.id
    }
    if (key.upArrow === true || input === 'k') select(view.index - 1)
    else if (key.downArrow === true || input === 'j') select(view.index + 1)
    else if (key.pageUp === true) select(view.index - pageSize)
    else if (key.pageDown === true) select(view.index + pageSize)
    else if (input === '/') s.editing = true
    else if (input === 's') s.sort = nextSortKey(s.sort)
    else if (key.escape === true) s.filter = ''
    else if (key.return === true && view.rows[view.index] !== undefined) {
      s.openId = view.rows[view.index]!.id
      s.selectedId = s.openId
      s.calleeIndex = 0
    }
    return { kind: 'none' }
  }
  const last = Math.max(0, view.callees.length - 1)
  if (key.upArrow === true || input === 'k') s.calleeIndex = Math.max(0, view.calleeIndex - 1)
  else if (key.downArrow === true || input === 'j') s.calleeIndex = Math.min(last, view.calleeIndex + 1)
  // Backspace arrives as `delete` from most terminals (ink maps \x7f so)
  else if (key.escape === true || key.leftArrow === true || key.backspace === true || key.delete === true) s.openId = null
  else if (ACTION_KEYS[input] !== undefined && view.open !== undefined && view.callees[view.calleeIndex] !== undefined) {
    const c = view.callees[view.calleeIndex]!
    s.prompt = {
      action: ACTION_KEYS[input]!,
      target: { registration: view.open.id, uri: view.open.uri, session: c.session, authid: c.authid },
    }
  }
  return { kind: 'none' }
}
