/** How often the router checks that a peer is alive, and how long it waits for the answer. */
export interface LivenessSettings {
  /** Ping the peer this often, in ms (measured from one ping to the next). 0 turns liveness checks off. */
  pingIntervalMs: number
  /** A peer that sends nothing (no pong, no frame) for this long after a ping is dead, in ms. */
  pongTimeoutMs: number
}

/**
 * Production defaults: a frozen peer (SIGSTOP, stuck event loop, half-open TCP) is dropped at most
 * pingIntervalMs + pongTimeoutMs = 30 s after it last showed a sign of life: well within a minute,
 * and slow enough that a peer busy for a few seconds (GC, a long synchronous task) is not dropped.
 */
export const DEFAULT_LIVENESS: LivenessSettings = { pingIntervalMs: 15_000, pongTimeoutMs: 15_000 }

/** What a liveness check does to its peer, whatever the transport (WebSocket ping, RawSocket PING). */
export interface LivenessPeer {
  sendPing(): void
  /** The peer missed its pong: drop it like a lost transport. Called at most once. */
  onDead(): void
}

/**
 * Transport-neutral liveness check of one peer: pings it every `pingIntervalMs`; if nothing comes
 * back (`alive()`: a pong or any inbound frame) within `pongTimeoutMs`, the peer is dead. One
 * timer per peer and a flag set per inbound frame: `alive()` is on the hot path and does no more.
 */
export class Liveness {
  private heard = true
  private stopped = false
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly settings: LivenessSettings,
    private readonly peer: LivenessPeer,
  ) {
    if (settings.pingIntervalMs > 0) this.schedule(this.ping, settings.pingIntervalMs)
  }

  /** The peer showed a sign of life (a pong, or any frame). */
  alive(): void {
    this.heard = true
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private readonly ping = (): void => {
    this.heard = false
    this.peer.sendPing()
    this.schedule(this.check, this.settings.pongTimeoutMs)
  }

  private readonly check = (): void => {
    if (this.heard) return this.schedule(this.ping, Math.max(0, this.settings.pingIntervalMs - this.settings.pongTimeoutMs))
    // Timers run before the event loop reads the sockets: after a stall of the router itself, the
    // pong may be waiting unread (or, for a peer in this same process, the ping not yet answered).
    // Decide two turns of I/O later, so that only the peer's own silence counts.
    setImmediate(() => setImmediate(this.confirm))
  }

  private readonly confirm = (): void => {
    if (this.stopped) return
    if (this.heard) return this.schedule(this.ping, Math.max(0, this.settings.pingIntervalMs - this.settings.pongTimeoutMs))
    this.stop()
    this.peer.onDead()
  }

  private schedule(fn: () => void, ms: number): void {
    if (this.stopped) return
    this.timer = setTimeout(fn, ms)
    // A liveness timer never keeps the process alive on its own.
    this.timer.unref()
  }
}
