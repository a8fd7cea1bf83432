import type { Args, Dict, Kwargs } from './inbound.js'
import type { Session } from './session.js'

/** A call of one of the router's own procedures (meta API, wampctl extensions). */
export interface MetaCall {
  readonly caller: Session
  readonly args: unknown[]
  readonly kwargs: Dict
  readonly options: Dict
  /** Send a progressive result, if the caller asked for them (no-op otherwise). */
  progress(args?: Args, kwargs?: Kwargs): void
  /** The caller left or canceled: long-running handlers stop early. */
  readonly canceled: boolean
  onCancel(listener: () => void): void
}

export interface MetaResult {
  args?: unknown[]
  kwargs?: Dict
}

export interface MetaProcedure {
  /** Changes state (kill, remove_callee, cordon, drain, set_weight): needs an admin role. */
  mutating: boolean
  handler: (call: MetaCall) => MetaResult | Promise<MetaResult>
}

/** Positional result helper: `result(x)` is `{args: [x]}`. */
export function result(value: unknown): MetaResult {
  return { args: [value] }
}
