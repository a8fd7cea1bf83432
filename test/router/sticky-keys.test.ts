import { describe, expect, it } from 'vitest'
import { adminSession, authRealm } from '../support/admin.js'
import { HeldCallee, untilAll } from '../support/held-callee.js'
import { CLIENTS, openPeer, type ClientKind, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { routingOptions } from '../support/routing-options.js'
import { startRouter } from '../support/router.js'

/**
 * CALL option `rkey` (wampy: `_rkey`) on roundrobin, random and least_loaded registrations: the
 * same key goes to the same callee while it can take calls, and a callee coming, going, cordoned
 * or drained moves only the keys it wins or won (rendezvous hashing). Keys moved are counted.
 */

const URI = 'com.example.sticky'
const KEYS = Array.from({ length: 200 }, (_, i) => `user-${i}`)

class Fleet {
  readonly peers = new Map<string, Peer>()
  registration = 0
  private next = 0
  constructor(
    readonly url: string,
    readonly kind: ClientKind,
    readonly invoke: string,
  ) {}

  async add(n = 1, extra: Record<string, unknown> = {}): Promise<string[]> {
    const names: string[] = []
    for (let i = 0; i < n; i++) {
      const name = `c${this.next++}`
      const p = await openPeer(this.kind, this.url, this.next % 2 === 0 ? 'json' : 'cbor')
      this.registration = await p.register(URI, () => ({ args: [name] }), { ...routingOptions(this.kind, this.invoke), ...extra })
      this.peers.set(name, p)
      names.push(name)
    }
    return names
  }

  async leave(name: string): Promise<void> {
    await this.peers.get(name)!.leave()
    this.peers.delete(name)
  }
}

/** Which callee serves each key, calling with the key as each client passes it. */
async function placement(caller: Peer, keys: string[] = KEYS): Promise<Map<string, string>> {
  const option = caller.kind === 'autobahn' ? 'rkey' : '_rkey'
  const out = new Map<string, string>()
  for (let i = 0; i < keys.length; i += 50) {
    const batch = keys.slice(i, i + 50)
    const served = await Promise.all(batch.map((k) => caller.call(URI, [], {}, { [option]: k })))
    batch.forEach((k, j) => out.set(k, served[j]!.args[0] as string))
  }
  return out
}

function moved(before: Map<string, string>, after: Map<string, string>): Array<[string, string, string]> {
  return [...before].filter(([k, c]) => after.get(k) !== c).map(([k, c]) => [k, c, after.get(k)!])
}

function countOn(p: Map<string, string>, callee: string): number {
  return [...p.values()].filter((c) => c === callee).length
}

describe.each(CLIENTS.flatMap((k) => ['roundrobin', 'random', 'least_loaded'].map((p) => [k, p] as const)))(
  'sticky keys with %s, invoke %s',
  (kind, invoke) => {
    async function setup(n: number): Promise<{ fleet: Fleet; caller: Peer; admin: Awaited<ReturnType<typeof adminSession>> }> {
      const router = await startRouter({ realms: [authRealm()] })
      const fleet = new Fleet(router.url, kind, invoke)
      await fleet.add(n)
      return { fleet, caller: await openPeer(kind, router.url), admin: await adminSession(router.url) }
    }

    it('every call with the same key reaches the same callee; the keys spread over all callees', async () => {
      const { caller } = await setup(4)
      const first = await placement(caller)
      expect(await placement(caller)).toEqual(first)
      expect(await placement(caller)).toEqual(first)
      const spread = ['c0', 'c1', 'c2', 'c3'].map((c) => countOn(first, c))
      for (const n of spread) expect(n).toBeGreaterThan(0)
    })

    it('a middle callee leaves: only its keys move, spread over the others; the rest stay put', async () => {
      const { fleet, caller } = await setup(4)
      const before = await placement(caller)
      await fleet.leave('c1')
      const after = await placement(caller)
      const m = moved(before, after)
      expect(m.length).toBe(countOn(before, 'c1'))
      for (const [, from, to] of m) {
        expect(from).toBe('c1')
        expect(to).not.toBe('c1')
      }
    })

    it('a middle callee is cordoned: only its keys move; uncordoned, exactly those keys come back', async () => {
      const { fleet, caller, admin } = await setup(4)
      const before = await placement(caller)
      await admin.call('wampctl.callee.cordon', [fleet.peers.get('c2')!.id, fleet.registration])
      const cordoned = await placement(caller)
      const m = moved(before, cordoned)
      expect(m.length).toBe(countOn(before, 'c2'))
      expect(m.every(([, from]) => from === 'c2')).toBe(true)
      await admin.call('wampctl.callee.uncordon', [fleet.peers.get('c2')!.id, fleet.registration])
      expect(await placement(caller)).toEqual(before)
    })

    it('a middle callee is drained: its keys move to the others, and only those', async () => {
      const { fleet, caller, admin } = await setup(4)
      const before = await placement(caller)
      await admin.call('wampctl.callee.drain', [fleet.peers.get('c1')!.id, fleet.registration], { then: 'none' })
      const m = moved(before, await placement(caller))
      expect(m.length).toBe(countOn(before, 'c1'))
      expect(m.every(([, from]) => from === 'c1')).toBe(true)
    })

    it('a new callee joins: only keys it wins move, all of them to it, about keys ÷ callees', async () => {
      const { fleet, caller } = await setup(4)
      const before = await placement(caller)
      const [fresh] = await fleet.add()
      const m = moved(before, await placement(caller))
      expect(m.every(([, , to]) => to === fresh)).toBe(true)
      // Expected 200 ÷ 5 = 40 (binomial, σ ≈ 5.7): well inside (10, 80) whatever the session ids.
      expect(m.length).toBeGreaterThan(10)
      expect(m.length).toBeLessThan(80)
    })
  },
)

describe('sticky keys with weights and concurrency caps', () => {
  it('raising one callee’s weight moves keys only to it; weight 0 moves only its keys away', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const fleet = new Fleet(router.url, 'autobahn', 'roundrobin')
    await fleet.add(4)
    const caller = await openPeer('wampy', router.url)
    const admin = await adminSession(router.url)
    const before = await placement(caller)
    await admin.call('wampctl.registration.set_weight', [fleet.registration, fleet.peers.get('c1')!.id, 3])
    const heavier = await placement(caller)
    const m = moved(before, heavier)
    expect(m.length).toBeGreaterThan(0)
    expect(m.every(([, , to]) => to === 'c1')).toBe(true)
    // c1 holds well above a quarter of the keys now (its expected share is 3/6 = 100 of 200).
    expect(countOn(heavier, 'c1')).toBeGreaterThan(70)
    await admin.call('wampctl.registration.set_weight', [fleet.registration, fleet.peers.get('c1')!.id, 0])
    const dark = await placement(caller)
    const gone = moved(heavier, dark)
    expect(gone.length).toBe(countOn(heavier, 'c1'))
    expect(gone.every(([, from]) => from === 'c1')).toBe(true)
  })

  it('the key’s callee at its concurrency cap: the call goes to the callee next in the key’s order, the one it would move to', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const held: HeldCallee[] = []
    let registration = 0
    for (const name of ['a', 'b', 'c']) {
      const p = await openPeer('autobahn', router.url)
      const r = await HeldCallee.register(p, name, URI, { invoke: 'least_loaded', concurrency: 1 })
      held.push(r.callee)
      registration = r.registration
    }
    const caller = await openPeer('autobahn', router.url)
    const first = caller.call(URI, [1], {}, { rkey: 'k' })
    await untilAll(held, () => held.some((h) => h.holding === 1), 'the key’s owner holds the call')
    const owner = held.find((h) => h.holding === 1)!
    // Where the key goes when its owner is out of rotation:
    await admin.call('wampctl.callee.cordon', [owner.peer.id, registration])
    for (const h of held) if (h !== owner) h.answerAtOnce()
    const fallback = (await caller.call(URI, [2], {}, { rkey: 'k' })).args[0]
    await admin.call('wampctl.callee.uncordon', [owner.peer.id, registration])
    // Owner in rotation but busy at its cap of 1: the same fallback takes the call.
    expect((await caller.call(URI, [3], {}, { rkey: 'k' })).args[0]).toBe(fallback)
    expect(owner.served).toBe(1)
    owner.answerAtOnce()
    expect((await first).args[0]).toBe(owner.name)
    expect((await caller.call(URI, [4], {}, { rkey: 'k' })).args[0]).toBe(owner.name)
  })

  it('an rkey that is neither a string nor a number is wamp.error.invalid_argument', async () => {
    const router = await startRouter()
    const callee = await openPeer('autobahn', router.url)
    await callee.register(URI, () => ({ args: ['x'] }), { invoke: 'roundrobin' })
    const p = await RawPeer.joined(router.url)
    const err = await p.call(URI, [], undefined, { rkey: { nested: true } })
    expect(err[4]).toBe('wamp.error.invalid_argument')
    expect((await p.call(URI, [], undefined, { rkey: 42 }))[0]).toBe(50)
  })
})
