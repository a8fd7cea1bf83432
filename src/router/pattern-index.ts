import { compareKeys, componentCount, wildcardKey, wildcardMatches, type MatchPolicy } from './uri.js'

export interface Patterned {
  readonly uri: string
  readonly match: MatchPolicy
}

interface WildcardEntry<T> {
  item: T
  parts: string[]
  key: number[]
}

/** Lookups for one call/publish URI are cached; this many distinct URIs at most, then the cache starts over. */
const CACHE_LIMIT = 10_000

/**
 * Registrations or subscriptions indexed by (URI, match policy). Exact URIs resolve in O(1);
 * pattern resolution walks the prefix and wildcard entries once per distinct URI and is cached
 * until a pattern entry is added or removed.
 */
export class PatternIndex<T extends Patterned> {
  private readonly exact = new Map<string, T>()
  private readonly prefix = new Map<string, T>()
  private readonly wildcard = new Map<string, WildcardEntry<T>>()
  private bestCache = new Map<string, T | null>()
  private allCache = new Map<string, T[]>()

  get(uri: string, match: MatchPolicy): T | undefined {
    if (match === 'exact') return this.exact.get(uri)
    if (match === 'prefix') return this.prefix.get(uri)
    return this.wildcard.get(uri)?.item
  }

  add(item: T): void {
    if (item.match === 'exact') {
      this.exact.set(item.uri, item)
      return
    }
    if (item.match === 'prefix') this.prefix.set(item.uri, item)
    else this.wildcard.set(item.uri, { item, parts: item.uri.split('.'), key: wildcardKey(item.uri) })
    this.invalidate()
  }

  delete(item: T): void {
    if (item.match === 'exact') {
      this.exact.delete(item.uri)
      return
    }
    if (item.match === 'prefix') this.prefix.delete(item.uri)
    else this.wildcard.delete(item.uri)
    this.invalidate()
  }

  *values(): IterableIterator<T> {
    yield* this.exact.values()
    yield* this.prefix.values()
    for (const w of this.wildcard.values()) yield w.item
  }

  idsByMatch(idOf: (item: T) => number): { exact: number[]; prefix: number[]; wildcard: number[] } {
    return {
      exact: [...this.exact.values()].map(idOf),
      prefix: [...this.prefix.values()].map(idOf),
      wildcard: [...this.wildcard.values()].map((w) => idOf(w.item)),
    }
  }

  /**
   * The spec's single best match: exact; else the prefix with the most URI components (then the
   * longer string); else the wildcard whose literal runs before each wildcard are longest, left to right.
   */
  best(uri: string): T | undefined {
    const exact = this.exact.get(uri)
    if (exact !== undefined) return exact
    if (this.prefix.size === 0 && this.wildcard.size === 0) return undefined
    const cached = this.bestCache.get(uri)
    if (cached !== undefined) return cached ?? undefined
    const found = this.resolveBest(uri)
    this.remember(this.bestCache, uri, found ?? null)
    return found
  }

  /** Every entry that covers `uri` (exact first, then prefixes, then wildcards). */
  all(uri: string): T[] {
    const exact = this.exact.get(uri)
    if (this.prefix.size === 0 && this.wildcard.size === 0) return exact === undefined ? [] : [exact]
    let patterns = this.allCache.get(uri)
    if (patterns === undefined) {
      patterns = []
      for (const p of this.prefix.values()) if (uri.startsWith(p.uri)) patterns.push(p)
      if (this.wildcard.size > 0) {
        const parts = uri.split('.')
        for (const w of this.wildcard.values()) if (wildcardMatches(w.parts, parts)) patterns.push(w.item)
      }
      this.remember(this.allCache, uri, patterns)
    }
    return exact === undefined ? patterns : [exact, ...patterns]
  }

  private resolveBest(uri: string): T | undefined {
    let bestPrefix: T | undefined
    let bestComponents = -1
    for (const p of this.prefix.values()) {
      if (!uri.startsWith(p.uri)) continue
      const n = componentCount(p.uri)
      if (n > bestComponents || (n === bestComponents && p.uri.length > bestPrefix!.uri.length)) {
        bestPrefix = p
        bestComponents = n
      }
    }
    if (bestPrefix !== undefined) return bestPrefix
    if (this.wildcard.size === 0) return undefined
    const parts = uri.split('.')
    let best: WildcardEntry<T> | undefined
    for (const w of this.wildcard.values()) {
      if (!wildcardMatches(w.parts, parts)) continue
      if (best === undefined || compareKeys(w.key, best.key) > 0) best = w
    }
    return best?.item
  }

  private remember<V>(cache: Map<string, V>, uri: string, value: V): void {
    if (cache.size >= CACHE_LIMIT) cache.clear()
    cache.set(uri, value)
  }

  private invalidate(): void {
    if (this.bestCache.size > 0) this.bestCache = new Map()
    if (this.allCache.size > 0) this.allCache = new Map()
  }
}
