import { describe, expect, it } from 'vitest'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { CLIENTS, failureOf, openPeer, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** Shared registrations: every invoke policy and the conflict rules of docs/architecture.md, over each client × serializer. */

const URI = 'com.example.work'

async function callees(
  url: string,
  kind: Parameters<typeof openPeer>[0],
  ser: Parameters<typeof openPeer>[2],
  names: string[],
  invoke: string,
): Promise<Peer[]> {
  const peers: Peer[] = []
  for (const name of names) {
    const p = await openPeer(kind, url, ser)
    await p.register(URI, () => ({ args: [name] }), { invoke })
    peers.push(p)
  }
  return peers
}

async function callMany(caller: Peer, n: number): Promise<unknown[]> {
  const out: unknown[] = []
  for (let i = 0; i < n; i++) out.push((await caller.call(URI)).args[0])
  return out
}

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('invoke policies with %s over %s', (kind, ser) => {
  it('single: one callee serves every call; a second REGISTER fails naming the existing policy', async () => {
    const router = await startRouter()
    await callees(router.url, kind, ser, ['a'], 'single')
    const b = await openPeer(kind, router.url, ser)
    const err = await failureOf(b.register(URI, () => ({ args: ['b'] })))
    expect(err.uri).toBe('wamp.error.procedure_already_exists')
    expect(err.kwargs).toMatchObject({ match: 'exact', invoke: 'single' })
    expect(typeof err.kwargs.registration).toBe('number')
    expect(String(err.args[0])).toMatch(/single/)
    const caller = await openPeer(kind, router.url, ser)
    expect(await callMany(caller, 3)).toEqual(['a', 'a', 'a'])
  })

  it('roundrobin: callees take turns in registration order, one shared registration id', async () => {
    const router = await startRouter()
    const ids: number[] = []
    for (const name of ['a', 'b', 'c']) {
      const p = await openPeer(kind, router.url, ser)
      ids.push(await p.register(URI, () => ({ args: [name] }), { invoke: 'roundrobin' }))
    }
    expect(new Set(ids).size).toBe(1)
    const caller = await openPeer(kind, router.url, ser)
    expect(await callMany(caller, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a'])
  })

  it('random: every call is answered, by registered callees only, and each of them serves some', async () => {
    const router = await startRouter()
    await callees(router.url, kind, ser, ['a', 'b'], 'random')
    const caller = await openPeer(kind, router.url, ser)
    const got = await callMany(caller, 40)
    expect(got).toHaveLength(40)
    expect(new Set(got)).toEqual(new Set(['a', 'b'])) // each misses all 40 with probability 2^-40
  })

  it('first: the earliest registered callee serves every call', async () => {
    const router = await startRouter()
    await callees(router.url, kind, ser, ['a', 'b', 'c'], 'first')
    const caller = await openPeer(kind, router.url, ser)
    expect(await callMany(caller, 3)).toEqual(['a', 'a', 'a'])
  })

  it('last: the latest registered callee serves every call', async () => {
    const router = await startRouter()
    await callees(router.url, kind, ser, ['a', 'b', 'c'], 'last')
    const caller = await openPeer(kind, router.url, ser)
    expect(await callMany(caller, 3)).toEqual(['c', 'c', 'c'])
  })

  it('a REGISTER with a different invoke policy fails with kwargs naming the existing one; the registration is untouched', async () => {
    const router = await startRouter()
    await callees(router.url, kind, ser, ['a', 'b'], 'roundrobin')
    for (const invoke of ['single', 'random', 'first', 'last']) {
      const other = await openPeer(kind, router.url, ser)
      const err = await failureOf(other.register(URI, () => ({ args: ['x'] }), { invoke }))
      expect(err.uri).toBe('wamp.error.procedure_already_exists')
      expect(err.kwargs).toMatchObject({ match: 'exact', invoke: 'roundrobin' })
    }
    const caller = await openPeer(kind, router.url, ser)
    expect(await callMany(caller, 4)).toEqual(['a', 'b', 'a', 'b'])
  })
})

describe('conflict rules the clients cannot all express', () => {
  it('the same session registering the same (URI, match) twice fails (autobahn)', async () => {
    const router = await startRouter()
    const s = await autobahnSession(router.url)
    await s.register(URI, () => 'first', { invoke: 'roundrobin' })
    const err = await failureOf(s.register(URI, () => 'second', { invoke: 'roundrobin' }) as unknown as Promise<unknown>)
    expect(err.uri).toBe('wamp.error.procedure_already_exists')
    expect(err.kwargs).toMatchObject({ match: 'exact', invoke: 'roundrobin' })
    expect(await s.call(URI)).toBe('first')
  })

  it('a different match policy on the same URI is a separate registration, not a conflict (raw peer)', async () => {
    const router = await startRouter()
    const p = await RawPeer.joined(router.url)
    const exact = await p.register(URI, { invoke: 'single' })
    const prefix = await p.register(URI, { match: 'prefix', invoke: 'single' })
    expect(exact[0]).toBe(65)
    expect(prefix[0]).toBe(65)
    expect(prefix[2]).not.toBe(exact[2])
  })

  it('a second REGISTER of single fails on every serializer with the same error shape (raw peer)', async () => {
    const router = await startRouter()
    for (const ser of SERIALIZERS) {
      const uri = `${URI}.${ser}`
      const a = await RawPeer.joined(router.url, ser)
      const b = await RawPeer.joined(router.url, ser)
      const ok = await a.register(uri)
      const err = await b.register(uri)
      expect(err.slice(0, 5)).toEqual([8, 64, err[2], {}, 'wamp.error.procedure_already_exists'])
      expect(err[6]).toEqual({ registration: ok[2], match: 'exact', invoke: 'single' })
      expect(typeof (err[5] as unknown[])[0]).toBe('string')
    }
  })

  it('unknown invoke or match policies are refused with invalid_argument', async () => {
    const router = await startRouter()
    const p = await RawPeer.joined(router.url)
    const badInvoke = await p.register(URI, { invoke: 'sticky' })
    expect(badInvoke.slice(0, 1).concat(badInvoke.slice(4, 5))).toEqual([8, 'wamp.error.invalid_argument'])
    const badMatch = await p.register(URI, { match: 'regex' })
    expect(badMatch[4]).toBe('wamp.error.invalid_argument')
    const ok = await p.register(URI, { invoke: 'roundrobin' })
    expect(ok[0]).toBe(65)
  })
})

describe('UNREGISTER and CANCEL edge cases (raw peer)', () => {
  it.each(SERIALIZERS)(
    'over %s: unregistering an unknown id, or another session’s registration, is wamp.error.no_such_registration',
    async (ser) => {
      const router = await startRouter()
      const owner = await RawPeer.joined(router.url, ser)
      const other = await RawPeer.joined(router.url, ser)
      const reg = (await owner.register(URI, { invoke: 'roundrobin' }))[2] as number
      for (const id of [reg + 1, reg]) {
        const r = other.nextRequest()
        other.send([66, r, id])
        expect(await other.nextOf(8, 66)).toEqual([8, 66, r, {}, 'wamp.error.no_such_registration', [expect.any(String)]])
      }
      const r = owner.nextRequest()
      owner.send([66, r, reg])
      expect(await owner.nextOf(67, r)).toEqual([67, r])
      const again = owner.nextRequest()
      owner.send([66, again, reg])
      expect((await owner.nextOf(8, 66))[4]).toBe('wamp.error.no_such_registration')
    },
  )

  it('a CANCEL for a call already answered, or never made, is ignored', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    await callee.register(URI)
    callee.serve((inv) => [70, inv[1], {}, ['done']])
    const caller = await RawPeer.joined(router.url)
    const reply = await caller.call(URI)
    caller.send([49, reply[1], { mode: 'kill' }])
    caller.send([49, 999, { mode: 'skip' }])
    expect(await caller.call(URI)).toEqual([50, expect.any(Number), {}, ['done']])
    expect(caller.received.filter((m) => m[0] === 8)).toEqual([])
    expect(callee.received.filter((m) => m[0] === 69)).toEqual([])
  })

  it('a CANCEL with an unknown mode is wamp.error.invalid_argument and the call goes on', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    await callee.register(URI)
    const caller = await RawPeer.joined(router.url)
    const r = caller.nextRequest()
    caller.send([48, r, {}, URI])
    const inv = await callee.nextOf(68)
    caller.send([49, r, { mode: 'pause' }])
    expect(await caller.nextOf(8, 49)).toEqual([8, 49, r, {}, 'wamp.error.invalid_argument', [expect.any(String)]])
    callee.send([70, inv[1], {}, ['finished']])
    expect(await caller.callReply(r)).toEqual([50, r, {}, ['finished']])
  })
})
