import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { UsageError } from '../../client/errors.js'

/** A callee as a rollout found it before changing anything: what `abort` puts back. */
export interface CalleeRecord {
  session: number
  authid: string | null
  /** Weight before the rollout touched it. */
  weight: number
  /** State before the rollout touched it (active, cordoned, draining). */
  state: string
}

/**
 * Where a rollout is. `promoted` is an end state kept on disk only after `--on-success keep`: the
 * old callees stay registered at weight 0 and `rollout abort` can still bring them back; the next
 * rollout of the URI supersedes the record (and inherits its starting weights).
 */
export type RolloutStatus = 'waiting' | 'running' | 'promoting' | 'retiring' | 'rolling_back' | 'replacing' | 'promoted'

/** The gate verdict of the last finished interval, as the state file keeps it. */
export interface RecordedGate {
  step: number
  percent: number
  verdict: 'pass' | 'idle' | 'breach'
  reason: string
  at: string
}

/**
 * `<configDir>/rollouts/<realm>/<uri>.json`: what a running rollout started from and where it is,
 * so `rollout status` and `rollout abort` work from another shell. Written atomically.
 */
export interface RolloutState {
  version: 1
  /** Random id of this run: a runner only touches a file that still carries its id. */
  id: string
  kind: 'canary' | 'replace'
  url: string
  realm: string
  uri: string
  registration: number
  /** The process running the rollout, and its host (pid checks only mean something on the same host). */
  pid: number
  host: string
  started_at: string
  updated_at: string
  status: RolloutStatus
  /** canary: the new instance (null while waiting for it to register). */
  canary: CalleeRecord | null
  /** The callees serving before the rollout, with their starting weights and states. */
  old: CalleeRecord[]
  /** canary: the steps in percent, the current one (index into steps) and its canary weight. */
  steps: number[]
  step_index: number | null
  percent: number | null
  canary_weight: number | null
  interval_ms: number | null
  next_step_at: string | null
  last_gate: RecordedGate | null
  /** replace: new callees seen so far (sessions) and old ones already retired. */
  new_sessions: number[]
  retired: number[]
  /** The options the rollout runs with (for `status`). */
  options: Record<string, unknown>
}

/** Where a rollout of `uri` in `realm` keeps its state. */
export function rolloutPath(configDir: string, realm: string, uri: string): string {
  return join(configDir, 'rollouts', safeName(realm), `${safeName(uri)}.json`)
}

function safeName(s: string): string {
  return encodeURIComponent(s).replace(/^\.+/, (dots) => '%2E'.repeat(dots.length))
}

/**
 * The state file of one (realm, URI) and its two marker files: `<file>.abort` (created by
 * `rollout abort`: the runner must stop touching the router) and `<file>.stopped` (the runner's
 * answer: it stopped and will change nothing more).
 */
export class RolloutStore {
  readonly path: string

  constructor(configDir: string, realm: string, uri: string) {
    this.path = rolloutPath(configDir, realm, uri)
  }

  get abortMarker(): string {
    return `${this.path}.abort`
  }

  get stoppedMarker(): string {
    return `${this.path}.stopped`
  }

  read(): RolloutState | null {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch {
      return null
    }
    try {
      return JSON.parse(text) as RolloutState
    } catch {
      throw new UsageError(`${this.path} is not valid JSON; fix or delete it`)
    }
  }

  /** Write the whole state (atomically: temp file, then rename). */
  write(state: RolloutState): void {
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 })
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify({ ...state, updated_at: new Date().toISOString() }, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.path)
  }

  /** Remove the state file and both markers. */
  remove(): void {
    for (const p of [this.path, this.abortMarker, this.stoppedMarker]) rmSync(p, { force: true })
  }

  abortRequested(): boolean {
    return existsSync(this.abortMarker)
  }

  requestAbort(): void {
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 })
    writeFileSync(this.abortMarker, `${process.pid}\n`)
  }

  markStopped(): void {
    writeFileSync(this.stoppedMarker, `${process.pid}\n`)
  }

  stopped(): boolean {
    return existsSync(this.stoppedMarker)
  }
}

/** A fresh state for a rollout about to start. */
export function newState(
  fields: Pick<RolloutState, 'kind' | 'url' | 'realm' | 'uri' | 'registration' | 'old' | 'options'> & Partial<RolloutState>,
): RolloutState {
  const now = new Date().toISOString()
  return {
    version: 1,
    id: Math.random().toString(36).slice(2, 12),
    pid: process.pid,
    host: hostname(),
    started_at: now,
    updated_at: now,
    status: 'waiting',
    canary: null,
    steps: [],
    step_index: null,
    percent: null,
    canary_weight: null,
    interval_ms: null,
    next_step_at: null,
    last_gate: null,
    new_sessions: [],
    retired: [],
    ...fields,
  }
}

/**
 * Is the process that runs this rollout still alive? true/false on the same host, null when the
 * rollout runs on another host (nothing can be told from here).
 */
export function runnerAlive(state: RolloutState): boolean | null {
  if (state.host !== hostname()) return null
  try {
    process.kill(state.pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The starting point of a new rollout: the callees as they are now, except that those a kept
 * (`promoted`) record knew start from the weight and state that record kept, so a later abort
 * restores what was there before either rollout.
 */
export function inheritStart(records: CalleeRecord[], previous: RolloutState | null): CalleeRecord[] {
  if (previous === null) return records
  const before = new Map(previous.old.map((c) => [c.session, c]))
  return records.map((r) => {
    const b = before.get(r.session)
    return b === undefined ? r : { ...r, weight: b.weight, state: b.state }
  })
}
