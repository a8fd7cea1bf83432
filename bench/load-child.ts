import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startChild, type BenchChild } from './children.js'
import type { LoadMessage, LoadPlan } from './load/plan.js'

const here = dirname(fileURLToPath(import.meta.url))

/** The load generator as a child process, and how to await its next step (ready, window-start…). */
export interface LoadChild {
  readonly child: BenchChild<LoadMessage>
  /** The next message of `type`; throws when the generator reports an error first, or after `timeoutMs`. */
  step(type: LoadMessage['type'], timeoutMs: number): Promise<LoadMessage>
}

export function startLoadGenerator(what: string, plan: LoadPlan, pin: boolean): LoadChild {
  const child = startChild<LoadMessage>(`${what} load generator`, join(here, 'load', 'main.js'), JSON.stringify(plan), pin ? 1 : undefined)
  return {
    child,
    async step(type, timeoutMs) {
      const m = await child.next((x) => x.type === type || x.type === 'error', timeoutMs, `'${type}' from the load generator`)
      if (m.type === 'error') throw new Error(`${what}: load generator failed: ${m.message}`)
      return m
    },
  }
}
