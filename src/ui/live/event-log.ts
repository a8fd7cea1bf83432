/** A meta event as the live views list it (dashboard log; newest last). */
export interface LiveEvent {
  seq: number
  at: Date
  kind: 'join' | 'leave' | 'create' | 'register' | 'unregister' | 'delete' | 'state' | 'action' | 'notice'
  text: string
}

/** The last `capacity` events, numbered so a view can append only what it has not shown. */
export class EventLog {
  private readonly items: LiveEvent[] = []
  private seq = 0

  constructor(readonly capacity = 200) {}

  add(kind: LiveEvent['kind'], text: string, at = new Date()): LiveEvent {
    const ev: LiveEvent = { seq: ++this.seq, at, kind, text }
    this.items.push(ev)
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity)
    return ev
  }

  /** Events after `seq` (all kept ones when omitted), oldest first. */
  since(seq = 0): LiveEvent[] {
    return this.items.filter((e) => e.seq > seq)
  }

  get lastSeq(): number {
    return this.seq
  }
}

/** "14:03:07" in local time. */
export function clock(at: Date): string {
  return at.toTimeString().slice(0, 8)
}
