import type { Logger } from './config.js'
import { ErrorUri } from '../protocol/error-uris.js'
import { HandshakeError } from './errors.js'

export interface AuthThrottleOptions {
  /** Failures of one authid within `windowMs` that lock it out. Default 5. */
  maxFailures?: number
  /** Failures from one peer address (any authid) within `windowMs` that lock it out: higher, as many clients may share an address (NAT). Default 20. */
  maxFailuresPerAddress?: number
  /** Window the failures are counted in, ms. Default 60,000. */
  windowMs?: number
  /** How long a locked-out authid or address is refused, ms. Default 60,000. */
  lockoutMs?: number
}

export const DEFAULT_AUTH_THROTTLE: Required<AuthThrottleOptions> = {
  maxFailures: 5,
  maxFailuresPerAddress: 20,
  windowMs: 60_000,
  lockoutMs: 60_000,
}

/** Keys remembered at most (authids and addresses each): a flood of made-up authids cannot grow memory without bound. */
const MAX_KEYS = 10_000

interface Record {
  /** Times of the recent failures, oldest first (at most maxFailures of them). */
  failures: number[]
  lockedUntil: number
}

/**
 * Repeated authentication failures (wrong ticket, wrong WAMP-CRA signature) lock out the authid
 * and the peer address they came from: after `maxFailures` (per address: `maxFailuresPerAddress`)
 * within `windowMs`, HELLOs that would
 * authenticate that authid or from that address are refused with `wamp.error.authentication_denied`
 * for `lockoutMs`. One log line per failure and per lockout, through the router's logger.
 * Anonymous sessions are never throttled (they prove nothing).
 */
export class AuthThrottle {
  private readonly options: Required<AuthThrottleOptions>
  private readonly byAuthid = new Map<string, Record>()
  private readonly byAddress = new Map<string, Record>()

  constructor(
    options: AuthThrottleOptions | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_AUTH_THROTTLE, ...options }
  }

  /** Throws a HandshakeError (ABORT wamp.error.authentication_denied) while `authid` or `address` is locked out. */
  check(realm: string, authid: string, address: string): void {
    const t = this.now()
    for (const [what, rec] of [
      [`authid '${authid}'`, authid === '' ? undefined : this.byAuthid.get(`${realm}\0${authid}`)],
      [`address ${address}`, this.byAddress.get(address)],
    ] as const) {
      if (rec !== undefined && rec.lockedUntil > t) {
        throw new HandshakeError(
          ErrorUri.authenticationDenied,
          `too many failed authentications for ${what}; try again in ${Math.ceil((rec.lockedUntil - t) / 1000)} s`,
        )
      }
    }
  }

  failed(realm: string, authid: string, address: string, method: string): void {
    const t = this.now()
    const o = this.options
    const a = authid === '' ? { failures: [], lockedUntil: Infinity } : this.record(this.byAuthid, `${realm}\0${authid}`, t, o.maxFailures)
    const b = this.record(this.byAddress, address, t, o.maxFailuresPerAddress)
    this.logger.warn(
      `authentication failed: ${method} for authid '${authid}' on realm '${realm}' from ${address} (${a.failures.length} in ${this.options.windowMs / 1000} s for this authid, ${b.failures.length} from this address)`,
    )
    for (const [what, rec, max] of [
      [`authid '${authid}' on realm '${realm}'`, a, o.maxFailures],
      [`address ${address}`, b, o.maxFailuresPerAddress],
    ] as const) {
      if (rec.failures.length >= max && rec.lockedUntil <= t) {
        rec.lockedUntil = t + o.lockoutMs
        rec.failures = []
        this.logger.warn(
          `authentication locked out: ${what} for ${o.lockoutMs / 1000} s after ${max} failures within ${o.windowMs / 1000} s`,
        )
      }
    }
  }

  /** A success clears the authid's count (not the address's: one good account must not reset guessing at others). */
  succeeded(realm: string, authid: string): void {
    const key = `${realm}\0${authid}`
    const rec = this.byAuthid.get(key)
    if (rec !== undefined && rec.lockedUntil <= this.now()) this.byAuthid.delete(key)
  }

  private record(map: Map<string, Record>, key: string, t: number, max: number): Record {
    let rec = map.get(key)
    if (rec === undefined) {
      if (map.size >= MAX_KEYS) this.prune(map, t)
      rec = { failures: [], lockedUntil: 0 }
      map.set(key, rec)
    }
    rec.failures = rec.failures.filter((f) => f > t - this.options.windowMs)
    rec.failures.push(t)
    if (rec.failures.length > max) rec.failures.shift()
    return rec
  }

  private prune(map: Map<string, Record>, t: number): void {
    for (const [k, rec] of map) {
      if (rec.lockedUntil <= t && (rec.failures.at(-1) ?? 0) <= t - this.options.windowMs) map.delete(k)
    }
    // Still full of live records: forget the oldest (insertion order), a bounded loss of memory of failures.
    for (const k of map.keys()) {
      if (map.size < MAX_KEYS) break
      map.delete(k)
    }
  }
}

/** The address part of a transport's peer ("tcp:127.0.0.1:5678" → "tcp:127.0.0.1"; others as they are). */
export function peerAddress(peer: string): string {
  return peer.startsWith('tcp:') ? peer.slice(0, peer.lastIndexOf(':')) : peer
}
