import type { BenchSerializer } from './load/codec.js'

/** One router configuration the bench starts in its own child process. */
export interface RouterTarget {
  /** Short label in tables. */
  label: string
  /** Script under dist/bench/ that serves it (child-ipc.ts protocol). */
  script: string
  /** JSON argument for the script. */
  options: Record<string, unknown>
  serializers: readonly BenchSerializer[]
  /** Realm the load generator joins. */
  realm: string
}

export const OURS: RouterTarget = {
  label: 'wampctl',
  script: 'serve-wampctl.js',
  options: { extensions: true, callStats: true },
  serializers: ['json', 'msgpack'],
  realm: 'realm1',
}

/** A standard router: no wampctl.* procedures, but the per-callee statistics are still kept. */
export const OURS_NO_EXTENSIONS: RouterTarget = {
  label: 'wampctl ext off',
  script: 'serve-wampctl.js',
  options: { extensions: false, callStats: true },
  serializers: ['json', 'msgpack'],
  realm: 'realm1',
}

/** Statistics switched off too: the difference to OURS_NO_EXTENSIONS is what the statistics cost. */
export const OURS_NO_STATS: RouterTarget = {
  label: 'wampctl no stats',
  script: 'serve-wampctl.js',
  options: { extensions: false, callStats: false },
  serializers: ['json', 'msgpack'],
  realm: 'realm1',
}

/** fox-wamp 0.7.28: wamp.2.json only, and every call goes to its first callee (ignores invoke). */
export const FOX: RouterTarget = {
  label: 'fox-wamp',
  script: 'serve-fox-wamp.js',
  options: {},
  serializers: ['json'],
  realm: 'realm1',
}

/** The same router (extensions on) loaded over RawSocket on TCP instead of WebSocket. */
export const OURS_RS: RouterTarget = {
  label: 'wampctl rs',
  script: 'serve-wampctl.js',
  options: { extensions: true, callStats: true, transport: 'rs' },
  serializers: ['json', 'msgpack'],
  realm: 'realm1',
}

/** WebSocket over TLS (a throwaway certificate): against OURS, what TLS costs. */
export const OURS_WSS: RouterTarget = {
  label: 'wampctl wss',
  script: 'serve-wampctl.js',
  options: { extensions: true, callStats: true, transport: 'wss' },
  serializers: ['json'],
  realm: 'realm1',
}

/** RawSocket over TLS: against OURS_RS, what TLS costs. */
export const OURS_RSS: RouterTarget = {
  label: 'wampctl rss',
  script: 'serve-wampctl.js',
  options: { extensions: true, callStats: true, transport: 'rss' },
  serializers: ['json'],
  realm: 'realm1',
}

export const RPC_TARGETS: readonly RouterTarget[] = [FOX, OURS, OURS_NO_EXTENSIONS, OURS_NO_STATS, OURS_RS, OURS_WSS, OURS_RSS]
export const PUBSUB_TARGETS: readonly RouterTarget[] = [FOX, OURS]
