/** Canary rollouts and rolling replacement, written against src/client, free of UI. */
export { runCanary, type CanaryOptions, type CanaryResult, type CanarySelector, type StepRecord } from './canary.js'
export { runReplace, type ReplaceOptions, type ReplaceResult } from './replace.js'
export { rolloutStatus, type RolloutStatusView, type StatusCallee, type SideTotals } from './status.js'
export { abortRollout, type AbortResult, type AbortOptions } from './abort.js'
export { RolloutStore, rolloutPath, type RolloutState, type CalleeRecord } from './state-file.js'
export { parseSteps, parseRate, canaryWeight } from './steps.js'
export { evaluateGates, windowStats, pct, type Gates, type WindowStats, type SideStats, type GateResult } from './health.js'
export type { RolloutEvent, EventSink, CalleeRef, WeightRef } from './events.js'
