import type blessedNs from 'blessed'
import type contribNs from 'blessed-contrib'
import type { Widgets } from 'blessed'
import { CALLEE_COLUMNS, CELL_GAP, fitColumns, REGISTRATION_COLUMNS, type TableLayout } from './view.js'

type Blessed = typeof blessedNs
type Contrib = typeof contribNs

export interface DashboardWidgets {
  screen: Widgets.Screen
  bar: contribNs.BarElement
  line: contribNs.LineElement
  registrations: contribNs.TableElement
  callees: contribNs.TableElement
  log: contribNs.LogElement
  prompt: Widgets.BoxElement
  /** Column widths of the two tables (cells must be cut to them: blessed-contrib does not). */
  registrationLayout: TableLayout
  calleeLayout: TableLayout
}

/** Below this many rows the dashboard uses its short layout. */
const SHORT_SCREEN = 36

/** Gap between table columns: blessed-contrib pads with columnSpacing - 1 spaces (CELL_GAP). */
const SPACING = CELL_GAP + 1

export const REGISTRATION_KEYS = 'Tab/arrows registration · q quit'
export const CALLEE_KEYS = 'j/k select · c cordon · u uncordon · d drain · e evict'

/**
 * The dashboard grid (12 × 12): load distribution (bar) and calls/s per callee (line) on top,
 * registrations and the selected registration's callees below left, the meta event log below
 * right; a y/n prompt box hidden until an action asks.
 *
 * On a short terminal (an 80×24 one) the charts give a row of the grid to the callees: with the
 * tall layout the callee box showed two callees there, too few to follow a replace.
 */
export function createWidgets(
  blessed: Blessed,
  contrib: Contrib,
  output?: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
): DashboardWidgets {
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: true,
    autoPadding: true,
    warnings: false,
    title: 'wampctl dashboard',
    ...(output?.input !== undefined ? { input: output.input } : {}),
    ...(output?.output !== undefined ? { output: output.output } : {}),
  } as Widgets.IScreenOptions)
  const grid = new contrib.grid({ rows: 12, cols: 12, screen })
  const charts = (screen.height as number) < SHORT_SCREEN ? 4 : 5
  const calleeTop = charts + 4

  const bar = grid.set(0, 0, charts, 6, contrib.bar, {
    label: ' load share % by callee ',
    barWidth: 6,
    barSpacing: 9,
    xOffset: 2,
    maxHeight: 100,
    // the terminal's own colours: white or black labels vanish on a light or a dark background
    barBgColor: 'cyan',
    barFgColor: 'normal',
    labelColor: 'normal',
  })
  const line = grid.set(0, 6, charts, 6, contrib.line, {
    label: ' calls/s per callee ',
    showLegend: true,
    legend: { width: 18 },
    showNthLabel: 10,
    wholeNumbersOnly: false,
    xLabelPadding: 3,
    xPadding: 5,
    // axis and labels in the terminal's own foreground (the default black axis vanishes on a dark background)
    style: { text: 'normal', baseline: 'normal' },
  })
  const registrations = grid.set(charts, 0, 4, 8, contrib.table, {
    label: ' registrations ',
    keys: false,
    interactive: true,
    fg: 'default',
    selectedFg: 'black',
    selectedBg: 'cyan',
    columnSpacing: SPACING,
    columnWidth: [1],
  })
  // blessed-contrib puts the rows one cell right of the header line: line them up
  registrations.rows.left = 0
  const callees = grid.set(calleeTop, 0, 12 - calleeTop, 8, contrib.table, {
    label: ' callees ',
    keys: false,
    interactive: true,
    fg: 'default',
    selectedFg: 'black',
    selectedBg: 'yellow',
    columnSpacing: SPACING,
    columnWidth: [1],
  })
  callees.rows.left = 0
  const log = grid.set(charts, 8, 12 - charts, 4, contrib.log, {
    label: ' meta events ',
    fg: 'default',
    bufferLength: 200,
    tags: false,
  })
  // Full width: a narrower overlay left the cells to its right blank (the neighbours' borders and
  // the event log) while it was shown. The terminal's own foreground for the text, a yellow frame.
  const prompt = blessed.box({
    parent: screen,
    top: 'center',
    left: 0,
    width: '100%',
    height: 5,
    border: { type: 'line' },
    style: { border: { fg: 'yellow' }, bold: true },
    label: ' confirm ',
    content: '',
    hidden: true,
    tags: false,
  })
  // The columns that fit each table's box (its rows are 3 cells narrower than the box); the
  // table reads columnWidth on every setData.
  const registrationLayout = fitColumns(REGISTRATION_COLUMNS, (registrations.width as number) - 3)
  const calleeLayout = fitColumns(CALLEE_COLUMNS, (callees.width as number) - 3)
  registrations.options.columnWidth = registrationLayout.widths
  callees.options.columnWidth = calleeLayout.widths
  return { screen, bar, line, registrations, callees, log, prompt, registrationLayout, calleeLayout }
}
