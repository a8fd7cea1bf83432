/** Rollouts from the CLI's side: parse what the operator asks for, submit it, follow it. The router runs them. */
export { parseSteps, formatSteps, parseRate, pct } from './steps.js'
export { followRollout, StoppedWatching, type WatchOptions } from './watch.js'
export { outcomeError, exitCodeOf, steeringHint } from './outcome.js'
export { rolloutCallees, type RolloutCallee } from './callees.js'
