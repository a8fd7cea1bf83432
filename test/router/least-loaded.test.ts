import { describe, expect, it } from 'vitest'
import { adminSession, authRealm } from '../support/admin.js'
import { HeldCallee, untilAll } from '../support/held-callee.js'
import { CLIENTS, failureOf, openPeer, WampFailure, type ClientKind, type Payload } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'
import { routingOptions } from '../support/routing-options.js'

/**
 * Invoke policy `least_loaded` (wampy: `_invoke`): the callee with the fewest calls in flight,
 * ties broken round-robin. Work is counted at the callees; "slow" is defined by work, not time.
 */

const URI = 'com.example.ll'

/**
 * One slow callee (the first) and three fast ones; a caller keeps `window` calls in flight for
 * `total` calls. The slow callee is as slow as it can be without stalling the caller: it answers
 * its oldest held call only when every call in flight is held there. Slow by construction,
 * whatever the machine's speed. Returns how many calls each callee served.
 */
async function slowAndFast(url: string, kind: ClientKind, invoke: string, total: number, window = 4): Promise<number[]> {
  const held: Array<() => void> = []
  const served = [0, 0, 0, 0]
  let sent = 0
  let answered = 0
  const check = (): void => {
    if (held.length > 0 && held.length === sent - answered) held.shift()!()
  }
  for (let i = 0; i < 4; i++) {
    const p = await openPeer(kind, url, i % 2 === 0 ? 'json' : 'msgpack')
    await p.register(
      URI,
      async (): Promise<Partial<Payload>> => {
        served[i]!++
        if (i === 0) {
          const answer = new Promise<void>((go) => held.push(go))
          check()
          await answer
        }
        return { args: [i] }
      },
      routingOptions(kind, invoke),
    )
  }
  const caller = await openPeer('autobahn', url)
  const lane = async (): Promise<void> => {
    while (sent < total) {
      sent++
      await caller.call(URI)
      answered++
      check()
    }
  }
  await Promise.all(Array.from({ length: window }, lane))
  return served
}

describe.each(CLIENTS)('least_loaded with %s callees', (kind) => {
  it('sends less work to a slow callee than roundrobin does (one slow, three fast, 4 calls in flight)', async () => {
    const rr = await slowAndFast((await startRouter()).url, kind, 'roundrobin', 80)
    const ll = await slowAndFast((await startRouter()).url, kind, 'least_loaded', 80)
    expect(rr.reduce((a, b) => a + b)).toBe(80)
    expect(ll.reduce((a, b) => a + b)).toBe(80)
    expect(rr[0]).toBe(20) // strict rotation: every fourth call, however slow
    expect(ll[0]).toBeLessThan(rr[0]! / 2)
  })

  it('equal loads: callees take turns in registration order', async () => {
    const router = await startRouter()
    for (const name of ['a', 'b', 'c']) {
      const p = await openPeer(kind, router.url)
      await p.register(URI, () => ({ args: [name] }), routingOptions(kind, 'least_loaded'))
    }
    const caller = await openPeer(kind, router.url)
    const got: unknown[] = []
    for (let i = 0; i < 7; i++) got.push((await caller.call(URI)).args[0])
    expect(got).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a'])
  })

  it('with calls held: each call goes to the callee with the fewest in flight', async () => {
    const router = await startRouter()
    const callees: HeldCallee[] = []
    for (const name of ['a', 'b', 'c']) {
      const p = await openPeer(kind, router.url)
      callees.push((await HeldCallee.register(p, name, URI, routingOptions(kind, 'least_loaded'))).callee)
    }
    const [a, b, c] = callees as [HeldCallee, HeldCallee, HeldCallee]
    const caller = await openPeer('autobahn', router.url)
    const calls: Array<Promise<Payload>> = []
    let answered = 0
    const send = async (n: number): Promise<void> => {
      const before = a.served + b.served + c.served
      for (let i = 0; i < n; i++) calls.push(caller.call(URI, [calls.length]).finally(() => answered++))
      await untilAll(callees, () => a.served + b.served + c.served === before + n, `${n} more calls arrived`)
    }
    await send(6)
    expect([a.holding, b.holding, c.holding]).toEqual([2, 2, 2])
    b.release() // b: 0 in flight, a and c: 2
    for (let i = 0; i < 10_000 && answered < 2; i++) await new Promise((r) => setImmediate(r))
    expect(answered).toBe(2) // the router has b's answers: b is the least loaded
    await send(2)
    expect([a.holding, b.holding, c.holding]).toEqual([2, 2, 2])
    // A tie at 2: the callee that has been at that load longest goes first (a, then c, then b).
    await send(1)
    expect([a.holding, b.holding, c.holding]).toEqual([3, 2, 2])
    for (const x of callees) x.answerAtOnce()
    expect(await Promise.all(calls)).toHaveLength(9)
  })
})

describe('least_loaded with cordon, drain, weights, rerouting', () => {
  it('cordoned and weight-0 callees get nothing, however idle; weights divide load (fewest calls per unit of weight)', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const callees: HeldCallee[] = []
    let registration = 0
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) {
      const p = await openPeer(i % 2 === 0 ? 'autobahn' : 'wampy', router.url)
      const r = await HeldCallee.register(p, name, URI, routingOptions(p.kind, 'least_loaded'))
      callees.push(r.callee)
      registration = r.registration
    }
    const [a, b, c, d] = callees as [HeldCallee, HeldCallee, HeldCallee, HeldCallee]
    await admin.call('wampctl.callee.cordon', [c.peer.id, registration])
    await admin.call('wampctl.registration.set_weight', [registration, d.peer.id, 0])
    await admin.call('wampctl.registration.set_weight', [registration, a.peer.id, 2])
    const caller = await openPeer('autobahn', router.url)
    const calls = Array.from({ length: 6 }, (_, i) => caller.call(URI, [i]))
    await untilAll(callees, () => a.holding + b.holding === 6, 'six calls held')
    expect([a.holding, b.holding, c.served, d.served]).toEqual([4, 2, 0, 0])
    // Drain b: its calls finish, it gets nothing new; the next calls go to a.
    const drained = admin.call('wampctl.callee.drain', [b.peer.id, registration], { then: 'none' })
    b.answerAtOnce()
    await drained
    const more = [caller.call(URI, [6]), caller.call(URI, [7])]
    await a.until(() => a.holding === 6, 'a took both')
    expect(b.served).toBe(2)
    a.answerAtOnce()
    expect(await Promise.all([...calls, ...more])).toHaveLength(8)
  })

  it('a callee answering wamp.error.unavailable: the call goes to the least loaded of the others', async () => {
    const router = await startRouter()
    const no = await openPeer('wampy', router.url)
    await no.register(
      URI,
      () => {
        throw new WampFailure('wamp.error.unavailable')
      },
      { _invoke: 'least_loaded' },
    )
    const p = await openPeer('autobahn', router.url)
    const { callee: yes } = await HeldCallee.register(p, 'yes', URI, { invoke: 'least_loaded' })
    yes.answerAtOnce()
    const caller = await openPeer('autobahn', router.url)
    for (let i = 0; i < 4; i++) expect((await caller.call(URI, [i])).args[0]).toBe('yes')
  })

  it('least_loaded conflicts with the other policies like they do with each other', async () => {
    const router = await startRouter()
    const a = await openPeer('autobahn', router.url)
    await a.register(URI, () => ({}), { invoke: 'least_loaded' })
    const b = await openPeer('wampy', router.url)
    const err = await failureOf(b.register(URI, () => ({}), { invoke: 'roundrobin' }))
    expect(err.uri).toBe('wamp.error.procedure_already_exists')
    expect(err.kwargs).toMatchObject({ invoke: 'least_loaded' })
  })

  it('with the extensions off, least_loaded is an unknown policy (wamp.error.invalid_argument)', async () => {
    const router = await startRouter({ extensions: false })
    const p = await RawPeer.joined(router.url)
    const err = await p.register(URI, { invoke: 'least_loaded' })
    expect(err[4]).toBe('wamp.error.invalid_argument')
    const disagree = await (
      await RawPeer.joined((await startRouter()).url)
    ).register(URI, { invoke: 'roundrobin', _invoke: 'least_loaded' })
    expect(disagree[4]).toBe('wamp.error.invalid_argument')
  })
})
