import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The bench's own `nats-server -js` (Debian package `nats-server`) for the cluster scenario:
 * 127.0.0.1, a free port, a temp store. Stopped by its PID and its store removed by `close()`.
 */
export class BenchNats {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  get pid(): number {
    return this.child.pid!
  }

  /** Start one; rejects (the process stopped) when it is not ready within 15 s or cannot run. */
  static async start(): Promise<BenchNats> {
    const storeDir = mkdtempSync(join(tmpdir(), 'wampctl-bench-nats-'))
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nats-server was not ready within 15 s: ${log.slice(-300)}`)), 15_000)
        child.on('error', (err) => {
          clearTimeout(timer)
          reject(new Error(`cannot run nats-server (Debian package nats-server): ${err.message}`))
        })
        child.on('exit', (code) => {
          clearTimeout(timer)
          reject(new Error(`nats-server exited with ${String(code)}: ${log.slice(-300)}`))
        })
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          log = (log + d).slice(-4000)
          const m = /Listening for client connections on [^\s]+:(\d+)/.exec(log)
          if (m !== null && /Server is ready/.test(log)) {
            clearTimeout(timer)
            resolve(Number(m[1]))
          }
        })
      })
      child.removeAllListeners('exit')
      child.stderr!.removeAllListeners('data').resume()
      return new BenchNats(child, port, storeDir)
    } catch (err) {
      await stop(child)
      rmSync(storeDir, { recursive: true, force: true })
      throw err
    }
  }

  async close(): Promise<void> {
    await stop(this.child)
    rmSync(this.storeDir, { recursive: true, force: true })
  }
}

/** SIGTERM by PID, SIGKILL after 5 s; resolves once it exited. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve()
  return new Promise((resolve) => {
    const hard = setTimeout(() => kill(child.pid!, 'SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(hard)
      resolve()
    })
    kill(child.pid!, 'SIGTERM')
  })
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    /* already gone */
  }
}
