import type { Socket } from 'node:net'

/** Something with a socket to cork, and a flag that it is corked for this tick. */
export interface Corkable {
  readonly socket: Socket
  corked: boolean
}

/**
 * Batches each socket's writes within one turn of the event loop: the first write corks the
 * socket, one setImmediate uncorks every corked socket, so the frames written in between go out
 * in one writev. Without it most router CPU goes to one write syscall per frame (RESEARCH.md: ~3×).
 */
const corked: Corkable[] = []
let scheduled = false

function flush(): void {
  scheduled = false
  // Take the list first: uncork() may run callbacks that write (and cork) again.
  const batch = corked.splice(0, corked.length)
  for (const c of batch) {
    c.corked = false
    if (!c.socket.destroyed) c.socket.uncork()
  }
}

export function corkForThisTick(c: Corkable): void {
  if (c.corked) return
  c.corked = true
  c.socket.cork()
  corked.push(c)
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
}

/** Send what `c` has corked now, instead of at the end of this turn (to see what the kernel takes). */
export function flushNow(c: Corkable): void {
  if (!c.corked) return
  c.corked = false
  if (!c.socket.destroyed) c.socket.uncork()
}
