import { describe, expect, it } from 'vitest'
import { ExtensionUri, type CalleeStats, type RegistrationSnapshot, type RouterSnapshot } from '../../src/protocol/extensions.js'
import { waitUntil } from '../support/meta.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/**
 * The snapshot's per-callee figures, built once per snapshot (src/router/extensions/callee-snapshot.ts):
 * the age of each callee's own oldest call in flight when one session serves many registrations,
 * both percentiles, and ISO times that are made once yet never go stale.
 */

async function snapshot(peer: RawPeer): Promise<Map<string, RegistrationSnapshot>> {
  const snap = (await peer.call(ExtensionUri.snapshot))[3] as [RouterSnapshot]
  return new Map(snap[0].registrations.map((r) => [r.uri, r]))
}

function only(r: RegistrationSnapshot | undefined): CalleeStats {
  expect(r?.callees).toHaveLength(1)
  return r!.callees[0]!
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('snapshot figures per callee', () => {
  it('one session serving several registrations: each callee shows its own calls in flight and the age of its own oldest', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    for (const p of ['com.example.a', 'com.example.b', 'com.example.c', 'com.example.idle']) expect((await callee.register(p))[0]).toBe(65)
    const caller = await RawPeer.joined(router.url)
    // a, b, a held (never answered); c answered
    for (const p of ['com.example.a', 'com.example.b', 'com.example.a']) caller.send([48, caller.nextRequest(), {}, p, []])
    for (let i = 0; i < 3; i++) await callee.nextOf(68)
    const c = caller.nextRequest()
    caller.send([48, c, {}, 'com.example.c', [1]])
    const inv = await callee.nextOf(68)
    callee.send([70, inv[1], {}, ['done']])
    expect((await caller.callReply(c))[0]).toBe(50)

    const first = await snapshot(caller)
    const [a, b, cc, idle] = ['com.example.a', 'com.example.b', 'com.example.c', 'com.example.idle'].map((u) => only(first.get(u)))
    expect(a).toMatchObject({ inflight: 2, calls: 2 })
    expect(b).toMatchObject({ inflight: 1, calls: 1 })
    expect(a!.oldest_inflight_ms).toEqual(expect.any(Number))
    expect(b!.oldest_inflight_ms).toEqual(expect.any(Number))
    // a's first call was sent before b's: measured at the same instant, it is at least as old
    expect(a!.oldest_inflight_ms!).toBeGreaterThanOrEqual(b!.oldest_inflight_ms!)
    expect(cc).toMatchObject({ inflight: 0, oldest_inflight_ms: null, calls: 1 })
    expect(cc!.p50_ms).toEqual(expect.any(Number))
    expect(cc!.p50_ms!).toBeLessThanOrEqual(cc!.p99_ms!)
    expect(cc!.last_call_at).toMatch(ISO)
    expect(idle).toMatchObject({ inflight: 0, oldest_inflight_ms: null, p50_ms: null, p99_ms: null, last_call_at: null, calls: 0 })
    for (const s of [a, b, cc, idle]) expect(s!.registered_at).toMatch(ISO)

    // describe says the same about one registration
    const described = (await caller.call(ExtensionUri.describe, [first.get('com.example.a')!.id]))[3] as [RegistrationSnapshot]
    expect(only(described[0])).toMatchObject({ inflight: 2, oldest_inflight_ms: expect.any(Number) })

    // times made once: the same while nothing happens, a new last_call_at after a new call
    const again = await snapshot(caller)
    for (const u of first.keys()) {
      expect(again.get(u)!.created).toBe(first.get(u)!.created)
      expect(only(again.get(u)).registered_at).toBe(only(first.get(u)).registered_at)
      expect(only(again.get(u)).last_call_at).toBe(only(first.get(u)).last_call_at)
    }
    await waitUntil(() => Date.now() > Date.parse(cc!.last_call_at!), 'the clock to pass the last call')
    const c2 = caller.nextRequest()
    caller.send([48, c2, {}, 'com.example.c', [2]])
    const inv2 = await callee.nextOf(68)
    callee.send([70, inv2[1], {}, ['done']])
    expect((await caller.callReply(c2))[0]).toBe(50)
    const later = only((await snapshot(caller)).get('com.example.c'))
    expect(later.calls).toBe(2)
    expect(later.last_call_at! > cc!.last_call_at!).toBe(true)
  })
})
