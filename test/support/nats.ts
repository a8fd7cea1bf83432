import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'

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

/**
 * A NATS cluster of `size` real `nats-server`s with JetStream (clustered: server names n1…, one
 * cluster name, routes between all of them, each its own temp store) on 127.0.0.1: the highly
 * available backplane a production router cluster uses. Resolves once JetStream can place a stream
 * with a replica on every server. `kill(i)` kills one by its PID; `close()` all, and removes the stores.
 */
export class NatsCluster {
  private constructor(
    readonly members: NatsMember[],
    readonly dir: string,
  ) {}

  /** Client URLs, in member order. */
  get urls(): string[] {
    return this.members.map((m) => `nats://127.0.0.1:${m.port}`)
  }

  static async start(size = 3): Promise<NatsCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'wampctl-natsc-'))
    const ports = await freePorts(2 * size)
    const routes = Array.from({ length: size }, (_, i) => `nats://127.0.0.1:${ports[size + i]!}`).join(',')
    const members = Array.from({ length: size }, (_, i) => new NatsMember(`n${i + 1}`, ports[i]!, ports[size + i]!, join(dir, `n${i + 1}`)))
    const cluster = new NatsCluster(members, dir)
    try {
      await Promise.all(members.map((m) => m.start(routes)))
      await cluster.jetStreamReady(size)
    } catch (err) {
      await cluster.close()
      throw err
    }
    return cluster
  }

  /** SIGKILL member `i` by its PID and wait for its exit. */
  async kill(i: number): Promise<void> {
    await this.members[i]!.stop(true)
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop(true)))
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** The meta leader is elected and every server is a JetStream peer: a bucket with `size` replicas can be made. */
  private async jetStreamReady(size: number): Promise<void> {
    const nc = await connect({ servers: this.urls })
    try {
      const kvm = new Kvm(nc)
      const deadline = Date.now() + 30_000
      for (let attempt = 0; ; attempt++) {
        try {
          const kv = await kvm.create('ready_probe', { replicas: size })
          await kv.destroy()
          return
        } catch (err) {
          if (Date.now() > deadline || attempt > 300)
            throw new Error(`the NATS cluster's JetStream was not ready within 30 s: ${(err as Error).message}`, { cause: err })
        }
        await new Promise((r) => setTimeout(r, 100))
      }
    } finally {
      await nc.close()
    }
  }
}

class NatsMember {
  private child: ChildProcess | undefined
  constructor(
    readonly name: string,
    readonly port: number,
    readonly clusterPort: number,
    readonly storeDir: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(routes: string): Promise<void> {
    const args = [
      '--name',
      this.name,
      '--cluster_name',
      'wampctl-test',
      '--cluster',
      `nats://127.0.0.1:${this.clusterPort}`,
      '--routes',
      routes,
    ]
    const { child } = await launch(this.port, this.storeDir, args)
    this.child = child
  }

  async stop(hard: boolean): Promise<void> {
    const child = this.child
    if (child === undefined) return
    this.child = undefined
    await killAndWait(child, hard ? 'SIGKILL' : 'SIGTERM')
  }
}

/** Ports free now (each bound once and released): nats-server's routes must be known before it starts. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const srv = createServer()
          srv.once('error', reject)
          srv.listen(0, '127.0.0.1', () => resolve(srv))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
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
