import { describe, expect, it } from 'vitest'
import { runFuzz } from '../../bench/fuzz/driver.js'
import { startRouter } from '../support/router.js'
import { RawPeer } from '../support/raw-peer.js'

/**
 * A bounded, seeded fuzz run (bench/fuzz/): 3,000 generated frames over every message type,
 * field and serializer, mutated and random, from peers the router keeps dropping, while a
 * bystander keeps calling. The router stays up, logs no internal error, leaves no call in
 * flight, and answers the bystander every time. `npm run fuzz` runs 100,000 frames.
 */

const SEED = 9009

describe('fuzz', () => {
  it('3,000 hostile frames: no internal error, no call left in flight, the bystander answered every time', async () => {
    const internalErrors: string[] = []
    const router = await startRouter({ logger: { info: () => {}, warn: () => {}, error: (m) => internalErrors.push(m) } })
    const report = await runFuzz({ url: router.url, frames: 3000, seed: SEED, timeLimitMs: 120_000 })
    expect(report.framesSent).toBe(3000)
    expect(report.bystanderFailures).toEqual([])
    expect(report.bystanderCalls).toBeGreaterThan(0)
    expect(internalErrors).toEqual([])
    const realm = router.realms.get('realm1')!
    const left = [...realm.sessions.values()].map((s) => ({ session: s.id, calls: s.calls.size, invocations: s.invocations.size }))
    expect(left.filter((s) => s.calls + s.invocations > 0)).toEqual([])
    // Still serving newcomers.
    const peer = await RawPeer.joined(router.url, 'cbor')
    expect((await peer.call('wamp.session.count'))[0]).toBe(50)
  }, 180_000)
})
