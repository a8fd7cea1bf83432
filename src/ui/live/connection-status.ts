import type { LiveSource } from './feed.js'

/** "12s", "3m 05s": how long ago, compact. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
}

/**
 * What the live views say while the connection is lost (the same words in top and the
 * dashboard): `DISCONNECTED – retrying, last update 12s ago`; null while connected.
 */
export function disconnectedLine(source: Pick<LiveSource, 'disconnected' | 'lastUpdateAt'>, now = Date.now()): string | null {
  if (!source.disconnected) return null
  const last = source.lastUpdateAt === undefined ? 'no data yet' : `last update ${age(now - source.lastUpdateAt)} ago`
  return `DISCONNECTED – retrying, ${last}`
}
