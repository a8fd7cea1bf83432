import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { Kvm, type KV } from '@nats-io/kv'
import { realmBucket } from '../../src/router/cluster/keys.js'
import { pack, unpack } from '../../src/router/cluster/wire.js'
import { REPO_ROOT } from './cli.js'
import { killAndWait, NatsServer } from './nats.js'
import { RawPeer } from './raw-peer.js'
import { autobahnSession } from './clients.js'
import type { Peer } from './peers.js'
import { ClusterUri, type ClusterStatus } from '../../src/protocol/cluster.js'
import { RegistrationMeta } from '../../src/protocol/meta-uris.js'
import { afterAll, beforeAll } from 'vitest'

/**
 * A real cluster for tests: a `nats-server` with JetStream and router nodes, each a separate
 * `wampctl router start --cluster … --node …` process (the built CLI: `npm run build` first) on
 * 127.0.0.1 port 0. Every process is stopped by its PID in `close()`.
 */

/** Realm config of test nodes: anonymous sessions are admins, so tests may call every meta procedure. */
export const TEST_REALM_CONFIG = {
  realms: [{ name: 'realm1', roles: { anonymous: { admin: true }, admin: { admin: true } } }],
}

export interface NodeOptions {
  /** Extra `router start` flags. */
  args?: string[]
  /** The NATS URL the node connects to (default the cluster's nats-server; e.g. a TcpProxy's in front of it). */
  natsUrl?: string
  /** Config file contents (default TEST_REALM_CONFIG). */
  config?: object
  /** A node silent this long is dead (default 2s in tests, so failures are seen quickly). */
  nodeTimeout?: string
  /** Write a CLI context (into the cluster's temp dir, WAMPCTL_CONFIG_DIR) as `router start` does by default; default false. */
  context?: boolean
}

export class RouterNode {
  stdout = ''
  stderr = ''
  readonly exited: Promise<number | null>
  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
      else child.once('exit', (code) => resolve(code))
    })
  }

  get pid(): number {
    return this.child.pid!
  }

  /** kill -9: the node vanishes without a word. */
  kill9(): Promise<void> {
    return killAndWait(this.child, 'SIGKILL')
  }

  /** SIGTERM: a graceful shutdown. Resolves with the exit code. */
  async terminate(): Promise<number | null> {
    await killAndWait(this.child, 'SIGTERM')
    return this.exited
  }

  static async start(name: string, natsUrl: string, dir: string, opts: NodeOptions = {}): Promise<RouterNode> {
    const configPath = join(dir, `${name}.json`)
    writeFileSync(configPath, JSON.stringify(opts.config ?? TEST_REALM_CONFIG))
    const args = [
      join(REPO_ROOT, 'bin', 'run.js'),
      'router',
      'start',
      '--port',
      '0',
      '--config',
      configPath,
      '--cluster',
      natsUrl,
      '--node',
      name,
      '--node-timeout',
      opts.nodeTimeout ?? '2s',
      ...(opts.context === true ? [] : ['--no-context']),
      '--log-format',
      'json',
      ...(opts.args ?? []),
    ]
    const env: NodeJS.ProcessEnv = {}
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('WAMPCTL_')) env[k] = v
    delete env.NODE_ENV
    env.WAMPCTL_CONFIG_DIR = dir
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        killAndWait(child, 'SIGKILL').finally(() =>
          reject(new Error(`node ${name} did not start within 30 s\nstdout: ${out}\nstderr: ${err}`)),
        )
      }, 30_000)
      const check = (): void => {
        const m = /listening on (ws:\/\/\S+)/.exec(out)
        if (m !== null && out.includes(`cluster node ${name} joined`)) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      }
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d
        check()
      })
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`node ${name} exited with ${String(code)} while starting\nstdout: ${out}\nstderr: ${err}`))
      })
    })
    child.removeAllListeners('exit')
    const node = new RouterNode(name, child, url)
    child.stdout!.on('data', (d: string) => (node.stdout += d))
    child.stderr!.on('data', (d: string) => (node.stderr += d))
    node.stdout = out
    node.stderr = err
    return node
  }
}

export class TestCluster {
  readonly nodes = new Map<string, RouterNode>()
  private started: { nats: NatsServer; dir: string } | undefined

  /** A NATS server and `names.length` nodes (started one after the other). */
  static async start(names: string[] = ['a', 'b', 'c'], opts: NodeOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster()
    await cluster.open(names, opts)
    return cluster
  }

  /**
   * The one cluster of a test file: started before the file's first test (within 90 s), stopped
   * after its last. Call it at the top level (or in a describe) of the file.
   */
  static forFile(names: string[] = ['a', 'b', 'c'], opts: NodeOptions = {}): TestCluster {
    const cluster = new TestCluster()
    beforeAll(() => cluster.open(names, opts), 90_000)
    afterAll(() => cluster.close(), 30_000)
    return cluster
  }

  get nats(): NatsServer {
    if (this.started === undefined) throw new Error('the test cluster has not started')
    return this.started.nats
  }

  /** The temp dir of the nodes' config files and CLI contexts (WAMPCTL_CONFIG_DIR). */
  get dir(): string {
    if (this.started === undefined) throw new Error('the test cluster has not started')
    return this.started.dir
  }

  private async open(names: string[], opts: NodeOptions): Promise<void> {
    this.started = { nats: await NatsServer.start(), dir: mkdtempSync(join(tmpdir(), 'wampctl-cluster-')) }
    try {
      for (const n of names) await this.startNode(n, opts)
    } catch (err) {
      await this.close()
      throw err
    }
  }

  node(name: string): RouterNode {
    const n = this.nodes.get(name)
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }

  /** WebSocket URL of node `name`. */
  url(name: string): string {
    return this.node(name).url
  }

  async startNode(name: string, opts: NodeOptions = {}): Promise<RouterNode> {
    const node = await RouterNode.start(name, opts.natsUrl ?? this.nats.url, this.dir, opts)
    this.nodes.set(name, node)
    return node
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => killAndWait(n.child, 'SIGKILL')))
    this.nodes.clear()
    const started = this.started
    this.started = undefined
    if (started === undefined) return
    await started.nats.close()
    rmSync(started.dir, { recursive: true, force: true })
  }
}

/**
 * For "eventually consistent" checks (another node's replica): retries `check` every 50 ms until it
 * stops throwing, at most `timeoutMs`; then throws its last failure.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (let attempt = 0; attempt < Math.ceil(timeoutMs / 50) + 1; attempt++) {
    try {
      return await check()
    } catch (err) {
      last = err
    }
    if (Date.now() >= deadline) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw last
}

/** Waits until node `node` sees `count` callees of (`uri`, `match`): its replica of the registry caught up. */
export async function calleesSeen(cluster: TestCluster, node: string, uri: string, count: number, match = 'exact'): Promise<void> {
  const admin = await RawPeer.joined(cluster.url(node))
  try {
    await eventually(async () => {
      const found = await admin.call('wamp.registration.lookup', [uri, { match }])
      const id = (found[3] as unknown[] | undefined)?.[0]
      if (typeof id !== 'number') throw new Error(`node ${node} does not know ${uri} yet`)
      const callees = await admin.call('wamp.registration.list_callees', [id])
      const n = ((callees[3] as unknown[])[0] as unknown[]).length
      if (n !== count) throw new Error(`node ${node} sees ${n} callees of ${uri}, not ${count}`)
    })
  } finally {
    admin.terminate()
  }
}

/** Fails with `what` unless `p` settles within `ms` (so that a hang is a clear failure, not a test timeout). */
export function settlesWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms)
  })
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}

/** The keys of realm1's KV bucket that hold something of `node`: its sessions, and records naming its callees or subscribers. */
export function entriesOf(natsUrl: string, node: string): Promise<string[]> {
  return withRealmBucket(natsUrl, async (kv) => {
    const found: string[] = []
    for await (const key of await kv.keys()) {
      const e = await kv.get(key)
      if (e === null || e.operation !== 'PUT') continue
      const v = unpack<Record<string, unknown>>(e.value)
      if (key.startsWith('ses.') && v.node === node) found.push(key)
      const members = (v.callees ?? v.subscribers) as Array<{ node: string }> | undefined
      if (members?.some((m) => m.node === node)) found.push(key)
    }
    return found
  })
}

/** `use` realm1's KV bucket through a connection of its own to the cluster's NATS (to look, or to change records behind the nodes' backs). */
export async function withRealmBucket<T>(natsUrl: string, use: (kv: KV) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: natsUrl })
  try {
    return await use(await new Kvm(nc).open(realmBucket('wampctl', 'realm1')))
  } finally {
    await nc.close()
  }
}

/** `count` calls made by `call()` one after the other, counted by what each answered (e.g. the node of the callee that took it). */
export async function tally(count: number, call: () => Promise<unknown>): Promise<Record<string, number>> {
  const seen: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const answer = String(await call())
    seen[answer] = (seen[answer] ?? 0) + 1
  }
  return seen
}

/**
 * Change the record at `key` of realm1's bucket behind the nodes' backs, as another node would:
 * `change` gets the current record and gives the new one, or undefined to delete it
 * (compare-and-set on the revision read).
 */
export function changeRecord<T>(natsUrl: string, key: string, change: (current: T | undefined) => object | undefined): Promise<void> {
  return withRealmBucket(natsUrl, async (kv) => {
    const entry = await kv.get(key)
    const current = entry === null || entry.operation !== 'PUT' ? undefined : unpack<T>(entry.value)
    const next = change(current)
    const revision = entry?.revision ?? 0
    if (next === undefined) await kv.delete(key, { previousSeq: revision })
    else await kv.update(key, pack(next), revision)
  })
}

/** `wampctl.cluster.status` as the node at `url` answers it (a session of its own, closed after). */
export async function clusterStatusAt(url: string): Promise<ClusterStatus> {
  const s = await autobahnSession(url)
  try {
    return (await s.call(ClusterUri.status, [])) as ClusterStatus
  } finally {
    s.leave('wamp.close.normal', '')
  }
}

/** Callees of `uri` as `peer`'s node sees them, in the registration's order; [] when it has no such registration. */
export async function calleeOrder(peer: Peer, uri: string): Promise<number[]> {
  const id = (await peer.call(RegistrationMeta.lookup, [uri])).args[0] as number | null
  if (id === null) return []
  return (await peer.call(RegistrationMeta.listCallees, [id])).args[0] as number[]
}

/** Callees of `uri` as `peer`'s node sees them (session ids, sorted). */
export async function calleesOf(peer: Peer, uri: string): Promise<number[]> {
  return (await calleeOrder(peer, uri)).sort((x, y) => x - y)
}
