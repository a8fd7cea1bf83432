/** Line chart colours (cycled when there are more callees than colours). */
export const SERIES_COLORS = ['yellow', 'green', 'cyan', 'magenta', 'red', 'blue', 'white'] as const

/**
 * Each callee's line keeps its colour while it is on the chart. Colouring by position made a
 * surviving callee's line change colour when one before it left (a replace): the operator then
 * reads the wrong line. A callee that appears takes the first colour no callee on the chart holds.
 */
export class SeriesColors {
  private readonly held = new Map<number, number>()

  /** The colours of `sessions` (the chart's callees, in order); forgets callees no longer there. */
  assign(sessions: readonly number[]): string[] {
    const present = new Set(sessions)
    for (const s of this.held.keys()) if (!present.has(s)) this.held.delete(s)
    const taken = new Set(this.held.values())
    return sessions.map((s) => {
      let slot = this.held.get(s)
      if (slot === undefined) {
        slot = 0
        // past the palette's size every colour is in use: cycle by count
        while (taken.has(slot) && slot < SERIES_COLORS.length) slot++
        if (slot === SERIES_COLORS.length) slot = this.held.size
        this.held.set(s, slot)
        taken.add(slot)
      }
      return SERIES_COLORS[slot % SERIES_COLORS.length]!
    })
  }
}
