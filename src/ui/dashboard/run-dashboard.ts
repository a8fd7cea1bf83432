import {
  ACTION_KEYS,
  actionFailure,
  confirmQuestion,
  describeTarget,
  type ActionTarget,
  type CalleeAction,
  type CalleeActions,
} from '../live/actions.js'
import { windowLabel } from '../../ops/recent-rates.js'
import { disconnectedLine } from '../live/connection-status.js'
import { clock, type LiveEvent } from '../live/event-log.js'
import type { LiveSource } from '../live/feed.js'
import { throttle } from '../live/throttle.js'
import {
  barData,
  calleeColumnsOf,
  calleeTable,
  dashboardData,
  fitColumns,
  hasNodes,
  layoutRows,
  lineSeries,
  registrationTable,
  type DashboardData,
} from './view.js'
import { SeriesColors } from './series-colors.js'
import { CALLEE_KEYS, createWidgets, REGISTRATION_KEYS } from './widgets.js'

export interface RunDashboardOptions {
  source: LiveSource
  actions: CalleeActions
  /** Redraws per second at most. Default 10. */
  maxFps?: number
  /** Calls/s samples in the line chart. Default 180 (3 minutes at one tick a second). */
  samples?: number
  /** Ends the dashboard from outside (a signal). */
  stop?: Promise<void>
}

/**
 * `wampctl dashboard` with blessed-contrib (imported here, lazily, so other commands start fast).
 * Resolves when the user quits (q, Ctrl-C) with the terminal restored; rejects if the
 * connection to the router is lost.
 */
export async function runDashboard(options: RunDashboardOptions): Promise<void> {
  const blessed = (await import('blessed')).default
  const contrib = (await import('blessed-contrib')).default
  const { source, actions } = options
  const samples = options.samples ?? 180
  const w = createWidgets(blessed, contrib)
  let selectedId: number | null = null
  let calleeIndex = 0
  let pending: { action: CalleeAction; target: ActionTarget } | null = null
  let lastSeq = 0
  let data: DashboardData = dashboardData(source.model, selectedId, samples)
  // a callee's line keeps its colour while it stays on the chart
  const colors = new SeriesColors()

  const mode = (): string =>
    disconnectedLine(source) ??
    (source.mode === 'live'
      ? `live, stats every ${source.intervalMs} ms, rates over ${windowLabel(source.intervalMs)}`
      : `POLLING every ${source.intervalMs} ms: no wampctl extensions`)
  /** What an action in progress last reported (shown in the callees' label, not logged line by line). */
  let progressLine: string | null = null
  /** Labels longer than their box wrap into it: cut them to fit. */
  const label = (el: { setLabel(t: string): void; width: number | string }, text: string): void => {
    const max = Math.max(8, (typeof el.width === 'number' ? el.width : 80) - 4)
    el.setLabel(text.length > max ? text.slice(0, max - 2) + '… ' : text)
  }

  const appendEvents = (events: LiveEvent[]): void => {
    for (const e of events) w.log.log(`${clock(e.at)} ${e.text}`)
    if (events.length > 0) lastSeq = events[events.length - 1]!.seq
  }

  const draw = (): void => {
    data = dashboardData(source.model, selectedId, samples)
    if (data.registration !== undefined) selectedId = data.registration.id
    calleeIndex = Math.max(0, Math.min(calleeIndex, data.callees.length - 1))
    const uri = data.registration?.uri ?? '(no registration)'
    const stale = source.disconnected
    // the last data seen, not live: greyed out until the connection is back
    for (const t of [w.registrations, w.callees]) t.rows.style.item.fg = stale ? 'gray' : 'default'
    label(w.registrations, ` registrations (${data.registrations.length}) — ${mode()} `)
    w.registrations.setData({
      headers: w.registrationLayout.headers,
      data: layoutRows(registrationTable(data.registrations, data.selected), w.registrationLayout),
    })
    if (data.registrations.length > 0) w.registrations.rows.select(data.selected)
    label(w.callees, ` callees of ${uri}${stale ? ' (STALE)' : ''} — ${progressLine ?? CALLEE_KEYS} `)
    // a cluster's callees carry their node: NODE after SESSION (a single router's table is unchanged)
    const nodes = hasNodes(data.callees)
    const calleeLayout = nodes ? fitColumns(calleeColumnsOf(true), (w.callees.width as number) - 3) : w.calleeLayout
    w.callees.options.columnWidth = calleeLayout.widths
    w.callees.setData({ headers: calleeLayout.headers, data: layoutRows(calleeTable(data.callees, calleeIndex, nodes), calleeLayout) })
    if (data.callees.length > 0) w.callees.rows.select(calleeIndex)
    label(w.bar, ` load share % by callee — ${uri} `)
    w.bar.setData(barData(data.callees))
    label(w.line, ` calls/s per callee — ${uri} `)
    const series = lineSeries(data.callees, samples, source.intervalMs, undefined, colors.assign(data.callees.map((c) => c.session)))
    w.line.setData(series.length > 0 ? series : [{ title: '-', x: ['now', 'now'], y: [0, 0], style: { line: 'normal' } }])
    // blessed-contrib draws a new legend box on every setData with a black border (invisible on a dark terminal)
    const legend = (w.line as unknown as { legend?: { style: { border?: { fg?: string } } } }).legend
    if (legend !== undefined) legend.style.border = { fg: 'default' }
    appendEvents(source.events.since(lastSeq))
    w.screen.render()
  }

  return new Promise<void>((resolve, reject) => {
    let finished = false
    const redraw = throttle(draw, 1000 / (options.maxFps ?? 10))
    const off = source.onChange(() => {
      if (source.closed) finish(new Error(source.problem ?? 'the router closed the connection'))
      else redraw.schedule()
    })
    const finish = (err?: Error): void => {
      if (finished) return
      finished = true
      off()
      redraw.cancel()
      w.screen.destroy()
      if (err !== undefined) reject(err)
      else resolve()
    }
    const move = (d: number): void => {
      if (pending !== null || data.registrations.length === 0) return
      const i = (data.selected + d + data.registrations.length) % data.registrations.length
      selectedId = data.registrations[i]!.id
      calleeIndex = 0
      draw()
    }
    const moveCallee = (d: number): void => {
      if (pending !== null) return
      calleeIndex = Math.max(0, Math.min(calleeIndex + d, data.callees.length - 1))
      draw()
    }
    const ask = (key: string): void => {
      const c = data.callees[calleeIndex]
      if (pending !== null || data.registration === undefined || c === undefined) return
      pending = {
        action: ACTION_KEYS[key]!,
        target: { registration: data.registration.id, uri: data.registration.uri, session: c.session, authid: c.authid },
      }
      w.prompt.setContent(` ${confirmQuestion(pending.action, pending.target)}`)
      w.prompt.show()
      w.screen.render()
    }
    const answer = (yes: boolean): void => {
      if (pending === null) return
      const p = pending
      pending = null
      w.prompt.hide()
      if (!yes) {
        w.log.log(`${clock(new Date())} » ${p.action} cancelled: ${describeTarget(p.target)}`)
        w.screen.render()
        return
      }
      // what the operator did, logged once when it ends (marked apart from the router's own events);
      // progress shows in the callees' label meanwhile
      const progress = (line: string): void => {
        if (finished) return
        progressLine = line
        draw()
      }
      const done = (line: string): void => {
        progressLine = null
        if (finished) return
        w.log.log(`${clock(new Date())} » ${line}${p.target.authid !== null ? ` (${p.target.authid})` : ''}`)
        draw()
      }
      actions[p.action](p.target, progress).then(done, (err: unknown) => done(actionFailure(p.action, err)))
      w.screen.render()
    }

    label(w.log, ` events — ${REGISTRATION_KEYS} `)
    w.log.log(`${clock(new Date())} watching ${source.url} (${source.mode})`)
    w.screen.key(['q', 'C-c'], () => finish())
    w.screen.key(['tab', 'down', 'right'], () => move(1))
    w.screen.key(['S-tab', 'up', 'left'], () => move(-1))
    w.screen.key(['j'], () => moveCallee(1))
    w.screen.key(['k'], () => moveCallee(-1))
    w.screen.key(Object.keys(ACTION_KEYS), (ch: string) => ask(ch))
    w.screen.key(['y'], () => answer(true))
    w.screen.key(['n', 'escape'], () => answer(false))
    void options.stop?.then(() => finish())
    draw()
  })
}
