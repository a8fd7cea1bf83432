import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'

/**
 * Run the real built CLI (`node bin/run.js …`, so `npm run build` first) as a child process.
 *
 * Every run gets a fresh, empty WAMPCTL_CONFIG_DIR (no context leaks in from the machine or from
 * another test) unless `env.WAMPCTL_CONFIG_DIR` is given, and no WAMPCTL_* variable of the
 * parent's environment (nor vitest's NODE_ENV=test). A run that outlives `timeoutMs` is killed by its PID (code null,
 * timedOut true). Every process still running when a test ends is killed by its PID.
 */
export interface CliResult {
  /** Exit code; null when killed (timeout or signal). */
  code: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

export interface CliOptions {
  /** Extra environment (merged over the parent's, minus its WAMPCTL_* variables). */
  env?: Record<string, string | undefined>
  /** Kill the process after this long. Default 15000 ms. */
  timeoutMs?: number
  /** Written to stdin, then stdin is closed. Default: stdin closed at once (not a TTY). */
  input?: string
}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = join(REPO_ROOT, 'bin', 'run.js')

const running = new Set<ChildProcess>()
const tempDirs: string[] = []

afterEach(() => {
  for (const child of running) killPid(child.pid, 'SIGKILL')
  running.clear()
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A fresh temp dir, removed after the current test. */
export function tempConfigDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wampctl-test-'))
  tempDirs.push(d)
  return d
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WAMPCTL_')) env[k] = v
  // vitest sets NODE_ENV=test, which makes oclif look for TypeScript sources and warn: run as users do.
  delete env.NODE_ENV
  env.NO_COLOR = '1'
  env.WAMPCTL_CONFIG_DIR = tempConfigDir()
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

function killPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(pid, signal)
  } catch {
    /* already gone */
  }
}

/** A CLI process still running: read its output as it comes, signal it, await its end. */
export interface CliProcess {
  readonly pid: number
  /** Output so far. */
  readonly stdout: string
  readonly stderr: string
  /** Resolves once `predicate(stdout, stderr)` holds; rejects if the process ends first or after `timeoutMs` (default 10000). */
  waitFor(predicate: (stdout: string, stderr: string) => boolean, timeoutMs?: number): Promise<void>
  /** Send a signal to the process (by its PID). */
  signal(signal: NodeJS.Signals): void
  /** Close our end of its stdout, as `| head -1` does (its next write fails with EPIPE). */
  closeStdout(): void
  /** The process ended (or was killed after the run's timeout). */
  readonly done: Promise<CliResult>
}

/** Start the CLI without waiting for it to end (long-running commands: events, --watch). */
export function spawnCli(args: string[], opts: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  let timedOut = false
  const watchers = new Set<() => void>()
  const notify = (): void => {
    for (const w of [...watchers]) w()
  }
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
    notify()
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
    notify()
  })
  child.stdin!.on('error', () => {})
  if (opts.input !== undefined) child.stdin!.end(opts.input)
  else child.stdin!.end()
  const timer = setTimeout(() => {
    timedOut = true
    killPid(child.pid, 'SIGKILL')
  }, opts.timeoutMs ?? 15_000)
  let ended = false
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer)
      running.delete(child)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      running.delete(child)
      ended = true
      notify()
      resolve({ code, stdout, stderr, timedOut })
    })
  })
  return {
    pid: child.pid!,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate(stdout, stderr)) {
            finish()
            resolve()
          } else if (ended) {
            finish()
            reject(new Error(`the CLI ended before the awaited output appeared\nstdout: ${stdout}\nstderr: ${stderr}`))
          }
        }
        const t = setTimeout(() => {
          finish()
          reject(new Error(`timed out after ${timeoutMs} ms waiting for CLI output\nstdout: ${stdout}\nstderr: ${stderr}`))
        }, timeoutMs)
        const finish = (): void => {
          clearTimeout(t)
          watchers.delete(check)
        }
        watchers.add(check)
        check()
      })
    },
    signal(signal) {
      killPid(child.pid, signal)
    },
    closeStdout() {
      child.stdout!.destroy()
    },
    done,
  }
}

/** Run the CLI to its end: exit code, stdout, stderr. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, opts).done
}

/** The connection flags for a router started with startRouter() (and, optionally, credentials). */
export function connFlags(url: string, creds: { authid?: string; secret?: string; realm?: string } = {}): string[] {
  const out = ['--url', url, '--realm', creds.realm ?? 'realm1']
  if (creds.authid !== undefined) out.push('--authid', creds.authid)
  if (creds.secret !== undefined) out.push('--secret', creds.secret)
  return out
}
