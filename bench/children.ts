import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/**
 * The bench's child processes (router and load generator): started with an IPC channel,
 * optionally pinned to one CPU with taskset, tracked so that every one of them is stopped by its
 * PID at the end, on failure, and on SIGINT.
 */
export class BenchChild<In = unknown> {
  private readonly queue: In[] = []
  private waiters: Array<{ accept: (m: In) => boolean; resolve: (m: In) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = []
  private stderrTail = ''
  private exitInfo: string | undefined
  readonly exited: Promise<void>

  constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    proc.on('message', (m: In) => this.deliver(m))
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-2000)
    })
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitInfo = signal !== null ? `signal ${signal}` : `code ${String(code)}`
        live.delete(this)
        const why = new Error(`${this.name} exited (${this.exitInfo})${this.lastStderrLine()}`)
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer)
          w.reject(why)
        }
        resolve()
      })
    })
    proc.on('error', (err) => {
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer)
        w.reject(new Error(`${this.name}: ${err.message}`))
      }
    })
  }

  get pid(): number {
    return this.proc.pid!
  }

  send(m: unknown): void {
    if (this.proc.connected) this.proc.send(m as object)
  }

  /** The next message that `accept`s (earlier ones it skips stay queued), within `timeoutMs`. */
  next(accept: (m: In) => boolean, timeoutMs: number, what: string): Promise<In> {
    const i = this.queue.findIndex(accept)
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]!)
    if (this.exitInfo !== undefined)
      return Promise.reject(new Error(`${this.name} exited (${this.exitInfo}) before ${what}${this.lastStderrLine()}`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer)
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.push({ accept, resolve, reject, timer })
    })
  }

  /** SIGTERM by PID, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exitInfo !== undefined) return
    killPid(this.pid, 'SIGTERM')
    const timer = setTimeout(() => killPid(this.pid, 'SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  private deliver(m: In): void {
    const i = this.waiters.findIndex((w) => w.accept(m))
    if (i < 0) {
      this.queue.push(m)
      return
    }
    const [w] = this.waiters.splice(i, 1)
    clearTimeout(w!.timer)
    w!.resolve(m)
  }

  /** The most telling line of what the child printed last: its error, else its last line. */
  private lastStderrLine(): string {
    const lines = this.stderrTail
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
    const telling = lines.filter((l) => /^\w*Error\b|^error\b/i.test(l)).pop() ?? lines.pop()
    return telling ? `: ${telling}` : ''
  }
}

/** Every child not yet exited. */
const live = new Set<{ stop(graceMs?: number): Promise<void> }>()

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    /* already gone */
  }
}

/** taskset exists and there are at least two CPUs: router and load generator get one each. */
export const canPin = availableParallelism() >= 2 && ['/usr/bin/taskset', '/bin/taskset'].some((p) => existsSync(p))

/**
 * Extra node flags for every child, e.g. `BENCH_CHILD_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`
 * to profile the routers during a run (node refuses --cpu-prof in NODE_OPTIONS).
 */
const childNodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0)

/** Start `node script arg` with IPC; `cpu` pins it (when pinning is possible and wanted). */
export function startChild<In>(name: string, script: string, arg: string, cpu: number | undefined): BenchChild<In> {
  const node = [process.execPath, ...childNodeArgs, script, arg]
  const [cmd, ...args] = cpu !== undefined && canPin ? ['taskset', '-c', String(cpu), ...node] : node
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  const child = new BenchChild<In>(name, proc)
  live.add(child)
  return child
}

/** Stop every child still running (each by its PID). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(1000)))
}
