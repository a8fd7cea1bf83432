import { createRequire } from 'node:module'
import autobahn from 'autobahn'
import { Wampy } from 'wampy'
import { JsonSerializer } from 'wampy/JsonSerializer.js'
import { MsgpackSerializer } from 'wampy/MsgpackSerializer.js'
import { CborSerializer } from 'wampy/CborSerializer.js'
import { WebSocket } from 'ws'
import { afterEach } from 'vitest'

// autobahn logs "connection closed lost" and "auto-reconnect disabled!" with console.log/warn on every close: not in test output.
const requireCjs = createRequire(import.meta.url)
const autobahnLog = requireCjs('autobahn/lib/log.js') as { warn: (...a: unknown[]) => void }
autobahnLog.warn = () => {}

/** The real clients users have, over each serializer. Every session opened here is closed after its test. */
export type SerializerName = 'json' | 'msgpack' | 'cbor'
export const SERIALIZERS: SerializerName[] = ['json', 'msgpack', 'cbor']

type AutobahnSession = autobahn.Session
const open: Array<() => Promise<void> | void> = []

/** Close every client session opened by the current test (routers close after this). */
export async function closeClients(): Promise<void> {
  await Promise.all(open.splice(0).map((close) => close()))
}

afterEach(closeClients)

export interface AutobahnOptions {
  realm?: string
  authid?: string
  authmethods?: string[]
  onchallenge?: (session: AutobahnSession, method: string, extra: unknown) => string
  /** Extra HELLO.Details.roles features (e.g. to not announce something). */
  roles?: Record<string, unknown>
  /** HELLO.Details.authextra (e.g. the cryptosign public key). */
  authextra?: Record<string, unknown>
  /** For wss:// (autobahn passes these on only all three together: a client certificate). */
  tlsConfiguration?: { ca: Buffer; cert: Buffer; key: Buffer }
}

/**
 * autobahn's transport for `url`: WebSocket for ws:// and wss://; its Node RawSocket transport
 * (JSON only) for rs://HOST:PORT and unix:/PATH.
 */
function autobahnTransport(url: string): Record<string, unknown> {
  if (url.startsWith('unix:')) return { transports: [{ type: 'rawsocket', path: url.slice(5) }] }
  if (url.startsWith('rs://')) {
    const u = new URL(url.replace(/^rs:/, 'http:'))
    return { transports: [{ type: 'rawsocket', host: u.hostname, port: Number(u.port) }] }
  }
  return { url }
}

export function autobahnSerializer(name: SerializerName): unknown {
  const s = (autobahn as unknown as { serializer: Record<string, new () => unknown> }).serializer
  if (name === 'json') return new s.JSONSerializer!()
  if (name === 'msgpack') return new s.MsgpackSerializer!()
  return new s.CBORSerializer!()
}

/** Open an autobahn session; resolves once WELCOME arrived. */
export function autobahnSession(url: string, serializer: SerializerName = 'json', options: AutobahnOptions = {}): Promise<AutobahnSession> {
  return new Promise((resolve, reject) => {
    const conn = new autobahn.Connection({
      ...autobahnTransport(url),
      realm: options.realm ?? 'realm1',
      authextra: options.authextra,
      tlsConfiguration: options.tlsConfiguration,
      max_retries: 0,
      serializers: [autobahnSerializer(serializer)],
      authid: options.authid,
      authmethods: options.authmethods,
      onchallenge: options.onchallenge,
    } as unknown as autobahn.IConnectionOptions)
    let opened = false
    conn.onopen = (session) => {
      opened = true
      resolve(session)
    }
    conn.onclose = (reason, details) => {
      if (!opened) reject(new Error(`autobahn could not open a session: ${reason} ${JSON.stringify(details)}`))
      return true
    }
    open.push(
      () =>
        new Promise<void>((done) => {
          if (!conn.isOpen) return done()
          conn.onclose = () => {
            done()
            return true
          }
          conn.close()
        }),
    )
    conn.open()
  })
}

export function wampySerializer(name: SerializerName): unknown {
  if (name === 'json') return new JsonSerializer()
  if (name === 'msgpack') return new MsgpackSerializer()
  return new CborSerializer()
}

/** Open a wampy session (node `ws` transport); resolves once connected. */
export async function wampySession(url: string, serializer: SerializerName = 'json', realm = 'realm1'): Promise<Wampy> {
  const client = new Wampy(url, { realm, ws: WebSocket, serializer: wampySerializer(serializer), autoReconnect: false } as never)
  await client.connect()
  open.push(async () => {
    try {
      await client.disconnect()
    } catch {
      /* already closed */
    }
  })
  return client
}

/** Resolves with the first value `subscribe` delivers that passes `predicate`. */
export function nextEvent<T>(subscribe: (deliver: (value: T) => void) => void, predicate: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => subscribe((v) => predicate(v) && resolve(v)))
}
