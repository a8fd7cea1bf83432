import { describe, expect, it } from 'vitest'
import { waitUntil } from '../support/meta.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/**
 * Overload: a subscriber that does not keep up loses events, explicitly (counted per connection and
 * in the router's counters, logged), while the router's queue for it stays bounded; subscribers
 * that keep up lose nothing. Counts are asserted, never timing.
 */

const TOPIC = 'com.example.firehose'
const QUEUE = 1024 * 1024
const EVENTS = 400
/** Large events fill the kernel's socket buffers quickly, so the router's own queue is reached. */
const PAYLOAD = 'x'.repeat(64 * 1024)

async function subscriber(url: string): Promise<RawPeer> {
  const peer = await RawPeer.joined(url)
  const r = peer.nextRequest()
  peer.send([32, r, {}, TOPIC])
  await peer.nextOf(33, r)
  return peer
}

const eventsOf = (p: RawPeer): number => p.received.filter((m) => m[0] === 36).length

describe('overload: bounded per-subscriber event queues', () => {
  it('a subscriber that stops reading loses events (counted, logged), its queue stays bounded; one that reads gets every event', async () => {
    const warnings: string[] = []
    const router = await startRouter({
      maxEventQueueBytes: QUEUE,
      logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error: ${m}`) },
    })
    const slow = await subscriber(router.url)
    const fast = await subscriber(router.url)
    const publisher = await RawPeer.joined(router.url)
    const slowSession = router.realm('realm1')!.sessions.get(slow.sessionId)!
    slow.ws.pause() // stops reading its socket: the router's writes to it back up

    for (let i = 0; i < EVENTS; i++) publisher.send([16, publisher.nextRequest(), {}, TOPIC, [i, PAYLOAD]])
    await waitUntil(() => eventsOf(fast) === EVENTS, `the reading subscriber to get all ${EVENTS} events`, 30_000)

    const dropped = slowSession.transport.events.dropped
    expect(dropped).toBeGreaterThan(0)
    expect(router.counters.eventsDropped.get('backpressure')).toBe(dropped)
    // Bounded: at most the limit plus the one event admitted just under it (and its frame header).
    expect((slowSession.transport as unknown as { transport: { bufferedAmount: number } }).transport.bufferedAmount).toBeLessThanOrEqual(
      QUEUE + PAYLOAD.length + 1024,
    )
    expect(warnings.filter((w) => w.includes('dropping events until it catches up')).length).toBeGreaterThan(0)
    expect(warnings.filter((w) => w.startsWith('error'))).toEqual([])

    // It reads again: what was queued arrives, then the next event; received + dropped = published.
    slow.ws.resume()
    await waitUntil(() => eventsOf(slow) === EVENTS - dropped, 'the queued events to arrive', 30_000)
    publisher.send([16, publisher.nextRequest(), {}, TOPIC, ['after', PAYLOAD]])
    await waitUntil(() => eventsOf(slow) === EVENTS - dropped + 1, 'the next event to arrive', 30_000)
    expect(warnings.filter((w) => w.includes('caught up after')).length).toBeGreaterThan(0)
    expect(eventsOf(fast)).toBe(EVENTS + 1)
    // The events that did arrive kept their order.
    const seqs = slow.received.filter((m) => m[0] === 36).map((m) => (m[4] as unknown[])[0])
    expect(seqs).toEqual([...seqs].sort((a, b) => (a === 'after' ? 1 : b === 'after' ? -1 : (a as number) - (b as number))))
  })

  it('within capacity nothing is dropped', async () => {
    const router = await startRouter({ maxEventQueueBytes: QUEUE })
    const subs = await Promise.all(Array.from({ length: 20 }, () => subscriber(router.url)))
    const publisher = await RawPeer.joined(router.url)
    for (let i = 0; i < 100; i++) publisher.send([16, publisher.nextRequest(), {}, TOPIC, [i]])
    await waitUntil(() => subs.every((s) => eventsOf(s) === 100), 'every subscriber to get all 100 events', 30_000)
    expect(router.counters.eventsDropped.get('backpressure') ?? 0).toBe(0)
  })
})
