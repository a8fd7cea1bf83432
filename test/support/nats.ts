import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A real `nats-server` with JetStream on 127.0.0.1 (Debian package `nats-server`; .ci/run installs
 * it), on a free port with a temp store. `stop()` kills it by its PID; `restart()` starts it again on
 * the same port and store (a NATS restart under load); `close()` stops it and removes the store.
 */
export class NatsServer {
  private child: ChildProcess | undefined
  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Start one; `args` adds to the command line (e.g. `--user u --pass p`). */
  static async start(args: string[] = []): Promise<NatsServer> {
    const storeDir = mkdtempSync(join(tmpdir(), 'wampctl-nats-'))
    const { child, port } = await launch(-1, storeDir, args)
    const server = new NatsServer(port, storeDir)
    server.child = child
    server.args = args
    return server
  }

  private args: string[] = []

  /** Stop it (SIGKILL by PID when `hard`, else SIGTERM) and wait for its exit. */
  async stop(hard = false): Promise<void> {
    const child = this.child
    if (child === undefined) return
    this.child = undefined
    await killAndWait(child, hard ? 'SIGKILL' : 'SIGTERM')
  }

  async restart(): Promise<void> {
    await this.stop()
    const { child } = await launch(this.port, this.storeDir, this.args)
    this.child = child
  }

  async close(): Promise<void> {
    await this.stop(true)
    rmSync(this.storeDir, { recursive: true, force: true })
  }
}

async function launch(port: number, storeDir: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  const bound = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      killAndWait(child, 'SIGKILL').finally(() => reject(new Error(`nats-server did not start within 15 s:\n${log}`)))
    }, 15_000)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`cannot run nats-server (is the Debian package nats-server installed?): ${err.message}`))
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`nats-server exited with ${String(code)}:\n${log}`))
    })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      log += d
      // "Listening for client connections on 127.0.0.1:4222" comes after JetStream is up.
      const m = /Listening for client connections on [^\s]+:(\d+)/.exec(log)
      if (m !== null && /Server is ready/.test(log)) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
  })
  child.removeAllListeners('exit')
  child.stderr!.resume()
  return { child, port: bound }
}

export function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const hard = setTimeout(() => {
      try {
        process.kill(child.pid!, 'SIGKILL')
      } catch {
        /* gone */
      }
    }, 10_000)
    child.once('exit', () => {
      clearTimeout(hard)
      resolve()
    })
    try {
      process.kill(child.pid!, signal)
    } catch {
      clearTimeout(hard)
      resolve()
    }
  })
}
