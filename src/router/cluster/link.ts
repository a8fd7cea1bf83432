import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  nkeys,
  tokenAuthenticator,
  type Authenticator,
  type NatsConnection,
  type Status,
  type TlsOptions,
} from '@nats-io/transport-node'
import { Kvm, type KV } from '@nats-io/kv'
import type { Logger } from '../config.js'
import { realmBucket } from './keys.js'
import { DEFAULT_REPLICAS, type ClusterSettings } from './options.js'
import { Subjects } from './subjects.js'

export class ClusterConnectError extends Error {
  readonly code = 'CLUSTER_CONNECT'
}

/**
 * Create a KV bucket, or open it when it exists. Two nodes starting at the same moment both
 * create it; the server may then refuse the loser ("subjects overlap with an existing stream")
 * while the winner's stream is being made: the loser opens the winner's (a few tries, bounded).
 * `replicas` counts only when this call creates it: an existing bucket keeps its own.
 */
export async function openBucket(kvm: Kvm, name: string, replicas = DEFAULT_REPLICAS): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await kvm.create(name, { history: 1, replicas })
    } catch (err) {
      try {
        const kv = await kvm.open(name)
        // open() does not look for the stream: a bucket that could not be made must not pass for one.
        await kv.status()
        return kv
      } catch {
        if (attempt >= BUCKET_ATTEMPTS)
          throw new ClusterConnectError(
            `cannot create the KV bucket ${name} with ${replicas} replica${replicas === 1 ? '' : 's'}: ${(err as Error).message}`,
            {
              cause: err,
            },
          )
      }
      await new Promise((r) => setTimeout(r, 100 * attempt))
    }
  }
}

const BUCKET_ATTEMPTS = 5

/** Most a closing link waits for NATS to take what is pending. */
const LINK_CLOSE_MS = 1000

/** Resolves with `p`'s value, or false once `ms` passed first. */
export async function withinMs(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}

export type LinkState = 'connected' | 'reconnecting' | 'closed'

/**
 * This node's connection to NATS: the one place that talks to the client library's connection,
 * JetStream and KV. Reconnects for ever (NATS restarts are survived); `state` says whether
 * messages to other nodes can go now, so that calls fail fast instead of queueing while it is down.
 */
export class ClusterLink {
  /** Changes on every start of this process: tells a restarted node from its previous life. */
  readonly incarnation = randomBytes(6).toString('hex')
  readonly subjects: Subjects
  readonly startedAt = new Date()
  private linkState: LinkState = 'connected'
  private readonly stateListeners = new Set<(state: LinkState) => void>()
  private readonly buckets = new Map<string, Promise<KV>>()
  private readonly kvm: Kvm

  private constructor(
    readonly settings: ClusterSettings,
    readonly nc: NatsConnection,
    /** The router's logger (every cluster part logs through it). */
    readonly log: Logger,
  ) {
    this.subjects = new Subjects(settings.name)
    this.kvm = new Kvm(nc)
    void this.watchStatus()
  }

  static async connect(settings: ClusterSettings, log: Logger): Promise<ClusterLink> {
    const authenticator = natsAuthenticator(settings)
    let nc: NatsConnection
    try {
      nc = await connect({
        servers: settings.servers,
        name: `${settings.name}:${settings.node}`,
        user: settings.user,
        pass: settings.pass,
        authenticator,
        tls: natsTls(settings),
        // The servers in the order given: an operator lists each node's nearest NATS server first.
        noRandomize: true,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        // Ours, not the library's: messages to other nodes must fail fast while NATS is away.
        waitOnFirstConnect: false,
      })
    } catch (err) {
      throw new ClusterConnectError(`cannot join the cluster through NATS at ${settings.servers.join(', ')}: ${(err as Error).message}`)
    }
    return new ClusterLink(settings, nc, log)
  }

  get node(): string {
    return this.settings.node
  }

  /** 'connected' while messages to other nodes can go now. */
  get state(): LinkState {
    return this.linkState
  }

  get connected(): boolean {
    return this.linkState === 'connected'
  }

  /** The NATS server this node is connected to now ("host:port"), null while it is away. */
  get server(): string | null {
    return this.connected ? this.nc.getServer() : null
  }

  onState(listener: (state: LinkState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  /** The realm's KV bucket, created on first use (history 1: the replicas need only the last value). */
  bucket(realm: string): Promise<KV> {
    const name = realmBucket(this.settings.name, realm)
    let kv = this.buckets.get(name)
    if (kv === undefined) {
      kv = openBucket(this.kvm, name, this.settings.replicas)
      this.buckets.set(name, kv)
      kv.then(
        (opened) => void this.checkReplicas(name, opened),
        () => this.buckets.delete(name),
      )
    }
    return kv
  }

  /** A bucket made before with another replica count keeps it: say so, since the operator asked for another. */
  private async checkReplicas(name: string, kv: KV): Promise<void> {
    try {
      const { replicas } = await kv.status()
      if (replicas !== this.settings.replicas)
        this.log.warn('cluster: the KV bucket keeps the replica count it was created with; change it with `nats stream edit`', {
          bucket: name,
          replicas,
          asked: this.settings.replicas,
        })
    } catch {
      // NATS away: nothing to say now
    }
  }

  /**
   * Flush what is pending and close the connection, bounded: a NATS that is away, or up but not
   * answering, must not hold a stopping node (past LINK_CLOSE_MS the connection is closed as it is).
   */
  async close(): Promise<void> {
    if (this.linkState === 'closed') return
    this.setState('closed')
    const drained = this.nc.drain().then(
      () => true,
      () => false,
    )
    if (await withinMs(drained, LINK_CLOSE_MS)) return
    this.log.warn('cluster: NATS did not take the last messages in time; closing the connection as it is', { node: this.node })
    await this.nc.close().catch(() => undefined)
  }

  private setState(state: LinkState): void {
    if (this.linkState === state) return
    this.linkState = state
    for (const l of this.stateListeners) l(state)
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status() as AsyncIterable<Status>) {
      if (this.linkState === 'closed') return
      if (s.type === 'disconnect' || s.type === 'reconnecting' || s.type === 'staleConnection') {
        if (this.linkState === 'connected') this.log.warn('cluster: lost NATS, reconnecting', { node: this.node })
        this.setState('reconnecting')
      } else if (s.type === 'reconnect') {
        this.log.info('cluster: NATS is back', { node: this.node, server: s.server })
        this.setState('connected')
      } else if (s.type === 'close') {
        this.setState('closed')
        return
      }
    }
  }
}

/**
 * The authenticator for the credentials in the settings (user/password go as plain options). The
 * files are read here, and a seed is checked here, so that a wrong one is one clear line at start.
 */
function natsAuthenticator(settings: ClusterSettings): Authenticator | undefined {
  if (settings.token !== undefined) return tokenAuthenticator(settings.token)
  if (settings.credsFile !== undefined) {
    const creds = readSecret(settings.credsFile, 'NATS credentials file (--cluster-creds)')
    if (!/-----BEGIN NATS USER JWT-----/.test(new TextDecoder().decode(creds)))
      throw new ClusterConnectError(`${settings.credsFile} is not a NATS .creds file (no "BEGIN NATS USER JWT" block)`)
    return credsAuthenticator(creds)
  }
  let seed: string | undefined = settings.nkeySeed
  let from = 'cluster.nkeySeed'
  if (settings.nkeyFile !== undefined) {
    seed = new TextDecoder().decode(readSecret(settings.nkeyFile, 'NATS nkey seed file (--cluster-nkey)')).trim()
    from = settings.nkeyFile
  }
  if (seed === undefined) return undefined
  try {
    if (!nkeys.fromSeed(new TextEncoder().encode(seed)).getPublicKey().startsWith('U')) throw new Error('not a user key')
  } catch {
    throw new ClusterConnectError(`${from}: not a NATS user nkey seed (one line starting "SU", as \`nk -gen user\` prints)`)
  }
  return nkeyAuthenticator(new TextEncoder().encode(seed))
}

/** TLS to NATS: verified against `ca` when given; required by a `tls://` URL; else whatever the server asks for. */
function natsTls(settings: ClusterSettings): TlsOptions | undefined {
  if (settings.ca !== undefined) {
    readSecret(settings.ca, 'CA bundle for NATS (--cluster-ca)')
    return { caFile: settings.ca }
  }
  return settings.servers.some((s) => s.startsWith('tls://')) ? {} : undefined
}

function readSecret(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ClusterConnectError(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}
