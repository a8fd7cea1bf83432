import { describe, expect, it } from 'vitest'
import { SERIALIZERS, type SerializerName } from '../support/clients.js'
import { CLIENTS, openPeer, type ClientKind, type Peer } from '../support/peers.js'
import { startRouter } from '../support/router.js'

/**
 * Round-robin stays fair when callees come and go (docs/architecture.md): removing a callee before, at or
 * after the round-robin pointer neither skips nor doubles anyone, and new callees join the rotation.
 */

const URI = 'com.example.rr'

class Pool {
  readonly callees = new Map<string, Peer>()
  constructor(
    private readonly url: string,
    private readonly kind: ClientKind,
    private readonly ser: SerializerName,
  ) {}

  async add(...names: string[]): Promise<void> {
    for (const name of names) {
      const p = await openPeer(this.kind, this.url, this.ser)
      await p.register(URI, () => ({ args: [name] }), { invoke: 'roundrobin' })
      this.callees.set(name, p)
    }
  }

  async unregister(name: string): Promise<void> {
    await this.callees.get(name)!.unregister(URI)
    this.callees.delete(name)
  }

  async leave(name: string): Promise<void> {
    await this.callees.get(name)!.leave()
    this.callees.delete(name)
  }
}

async function calls(caller: Peer, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push((await caller.call(URI)).args[0] as string)
  return out
}

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('roundrobin under churn with %s over %s', (kind, ser) => {
  async function setup(names: string[]): Promise<{ pool: Pool; caller: Peer }> {
    const router = await startRouter()
    const pool = new Pool(router.url, kind, ser)
    await pool.add(...names)
    return { pool, caller: await openPeer(kind, router.url, ser) }
  }

  it('removing a callee before the pointer: the next one is still served next', async () => {
    const { pool, caller } = await setup(['a', 'b', 'c', 'd'])
    expect(await calls(caller, 2)).toEqual(['a', 'b']) // c is next
    await pool.unregister('a')
    expect(await calls(caller, 5)).toEqual(['c', 'd', 'b', 'c', 'd'])
  })

  it('removing the callee at the pointer: the one after it is served next', async () => {
    const { pool, caller } = await setup(['a', 'b', 'c', 'd'])
    expect(await calls(caller, 2)).toEqual(['a', 'b']) // c is next
    await pool.unregister('c')
    expect(await calls(caller, 4)).toEqual(['d', 'a', 'b', 'd'])
  })

  it('removing the callee after the pointer: the order carries on without it', async () => {
    const { pool, caller } = await setup(['a', 'b', 'c', 'd'])
    expect(await calls(caller, 2)).toEqual(['a', 'b']) // c is next
    await pool.unregister('d')
    expect(await calls(caller, 4)).toEqual(['c', 'a', 'b', 'c'])
  })

  it('removing the last callee while the pointer is on it wraps to the first', async () => {
    const { pool, caller } = await setup(['a', 'b', 'c'])
    expect(await calls(caller, 2)).toEqual(['a', 'b']) // c is next
    await pool.leave('c')
    expect(await calls(caller, 3)).toEqual(['a', 'b', 'a'])
  })

  it('callees added mid-stream join the rotation at the end of the order', async () => {
    const { pool, caller } = await setup(['a', 'b', 'c'])
    expect(await calls(caller, 1)).toEqual(['a']) // b is next
    await pool.add('d')
    expect(await calls(caller, 4)).toEqual(['b', 'c', 'd', 'a'])
    await pool.add('e')
    expect(await calls(caller, 5)).toEqual(['b', 'c', 'd', 'e', 'a'])
  })
})

/** A deterministic pseudo-random sequence (mulberry32), so a failing churn run can be replayed. */
function prng(seed: number): () => number {
  let t = seed >>> 0
  return () => {
    t = (t + 0x6d2b79f5) >>> 0
    let r = Math.imul(t ^ (t >>> 15), 1 | t)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

describe('roundrobin fairness under random churn', () => {
  it.each(SERIALIZERS)('over %s: between two turns of a callee, every callee present throughout serves exactly once', async (ser) => {
    const router = await startRouter()
    const pool = new Pool(router.url, 'autobahn', ser)
    const caller = await openPeer('autobahn', router.url, ser)
    const random = prng(0x5eed + ser.length)
    let next = 0
    const fresh = (): string => `c${next++}`
    await pool.add(fresh(), fresh(), fresh(), fresh())

    // served[i] = callee of call i; joined/left = call index at which a callee entered / left.
    const served: string[] = []
    const joined = new Map<string, number>([...pool.callees.keys()].map((n) => [n, 0]))
    const left = new Map<string, number>()
    for (let step = 0; step < 60; step++) {
      const r = random()
      if (r < 0.15 && pool.callees.size > 2) {
        const names = [...pool.callees.keys()]
        const victim = names[Math.floor(random() * names.length)]!
        left.set(victim, served.length)
        if (random() < 0.5) await pool.unregister(victim)
        else await pool.leave(victim)
      } else if (r < 0.3 && pool.callees.size < 6) {
        const name = fresh()
        joined.set(name, served.length)
        await pool.add(name)
      } else {
        served.push(...(await calls(caller, 1 + Math.floor(random() * 3))))
      }
    }
    expect(served.length).toBeGreaterThan(40)

    const presentThroughout = (name: string, from: number, to: number): boolean =>
      joined.get(name)! <= from && (left.get(name) ?? Infinity) > to
    for (let i = 0; i < served.length; i++) {
      const x = served[i]!
      const j = served.indexOf(x, i + 1)
      if (j < 0) continue
      const between = served.slice(i + 1, j)
      for (const y of joined.keys()) {
        if (y === x || !presentThroughout(y, i, j)) continue
        expect(
          between.filter((s) => s === y),
          `${y} between turns ${i} and ${j} of ${x}: ${served.join(',')}`,
        ).toHaveLength(1)
      }
    }
    // Nobody served after leaving, and a newcomer is served within one round of joining.
    for (const [name, at] of left) expect(served.slice(at)).not.toContain(name)
    for (const [name, at] of joined) {
      const window = served.slice(at, at + 7)
      if (window.length === 7 && (left.get(name) ?? Infinity) > at + 7) expect(window, `${name} joined at ${at}`).toContain(name)
    }
  })
})
