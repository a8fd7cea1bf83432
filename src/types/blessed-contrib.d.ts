/**
 * The small part of blessed-contrib 4.11 that wampctl's dashboard uses (the package ships no
 * types). Widgets are blessed boxes with a setData of their own.
 */
declare module 'blessed-contrib' {
  import type { Widgets } from 'blessed'

  namespace contrib {
    interface GridOptions {
      rows: number
      cols: number
      screen: Widgets.Screen
      hideBorder?: boolean
      color?: string
    }

    interface BarData {
      titles: string[]
      data: number[]
    }

    interface LineSeries {
      title: string
      x: string[]
      y: number[]
      style?: { line?: string | number[] }
    }

    interface TableData {
      headers: string[]
      data: string[][]
    }

    interface BarElement extends Widgets.BoxElement {
      setData(data: BarData): void
    }

    interface LineElement extends Widgets.BoxElement {
      setData(series: LineSeries[]): void
    }

    interface TableElement extends Widgets.BoxElement {
      rows: Widgets.ListElement
      setData(data: TableData): void
    }

    interface LogElement extends Widgets.ListElement {
      log(line: string): void
    }

    type WidgetFactory<T> = (options: Record<string, unknown>) => T

    class grid {
      constructor(options: GridOptions)
      set<T>(row: number, col: number, rowSpan: number, colSpan: number, widget: WidgetFactory<T>, options: Record<string, unknown>): T
    }

    const bar: WidgetFactory<BarElement>
    const line: WidgetFactory<LineElement>
    const table: WidgetFactory<TableElement>
    const log: WidgetFactory<LogElement>
  }

  export = contrib
}
