import { describe, expect, it } from 'vitest'
import type { RealmConfig } from '../../src/router/config.js'
import { adminSession, authRealm } from '../support/admin.js'
import { HeldCallee, untilAll } from '../support/held-callee.js'
import { CLIENTS, failureOf, openPeer, WampFailure, type ClientKind, type Dict, type Peer, type Payload } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { routingOptions } from '../support/routing-options.js'
import { Router } from '../../src/router/router.js'
import { startRouter } from '../support/router.js'

/**
 * REGISTER option `concurrency` (wampy: `_concurrency`): the dealer never gives a callee more calls
 * in flight than its cap; calls that find every callee at its cap wait in the registration's
 * bounded FIFO queue (docs/routing.md). Counted at the callees, which track their own maximum.
 */

const URI = 'com.example.capped'

interface Described {
  invoke: string
  queued: number
  callees: Array<{ session: number; concurrency: number | null; inflight: number; state: string; weight: number }>
}

async function describeReg(peer: Peer, id: number): Promise<Described> {
  return (await peer.call('wampctl.registration.describe', [id])).args[0] as Described
}

function realmWithQueue(size: number, maxWaitMs: number): RealmConfig {
  return { ...authRealm(), callQueue: { size, maxWaitMs } }
}

async function pool(
  url: string,
  kind: ClientKind,
  invoke: string,
  caps: Array<number | undefined>,
): Promise<{ callees: HeldCallee[]; registration: number }> {
  const callees: HeldCallee[] = []
  let registration = 0
  for (const [i, cap] of caps.entries()) {
    const peer = await openPeer(kind, url, i % 2 === 0 ? 'json' : 'msgpack')
    const r = await HeldCallee.register(peer, String.fromCharCode(97 + i), URI, routingOptions(kind, invoke, cap))
    callees.push(r.callee)
    registration = r.registration
  }
  return { callees, registration }
}

const POLICIES = ['roundrobin', 'random', 'least_loaded', 'first', 'last']

describe.each(CLIENTS.flatMap((k) => POLICIES.map((p) => [k, p] as const)))('concurrency caps, %s callees, invoke %s', (kind, invoke) => {
  it('a burst of 40 calls: each callee fills up to its cap and never beyond; the rest wait and all are answered', async () => {
    const router = await startRouter()
    const { callees, registration } = await pool(router.url, kind, invoke, [1, 2, 3])
    const caller = await openPeer('autobahn', router.url)
    const calls = Array.from({ length: 40 }, (_, i) => caller.call(URI, [i]))
    await untilAll(
      callees,
      () => callees.every((c) => c.current === c.max && c.current === [1, 2, 3][callees.indexOf(c)]),
      'every callee at its cap',
    )
    const d = await describeReg(caller, registration)
    expect(d.queued).toBe(34)
    expect(d.callees.map((c) => [c.concurrency, c.inflight])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ])
    for (const c of callees) c.answerAtOnce()
    const results = await Promise.all(calls)
    expect(results.map((r) => r.args[1]).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(callees.map((c) => c.max)).toEqual([1, 2, 3])
    expect(callees.reduce((n, c) => n + c.served, 0)).toBe(40)
    expect((await describeReg(caller, registration)).queued).toBe(0)
  })
})

describe.each(CLIENTS)('the call queue with %s callees', (kind) => {
  it('queued calls are served oldest first as slots free; the queue shows in describe and snapshot', async () => {
    const router = await startRouter()
    const { callees, registration } = await pool(router.url, kind, 'roundrobin', [1])
    const a = callees[0]!
    const caller = await openPeer('autobahn', router.url)
    const calls = [0, 1, 2, 3].map((i) => caller.call(URI, [i]))
    await a.until(() => a.holding === 1, 'first call held')
    const snap = (await caller.call('wampctl.registration.snapshot')).args[0] as { registrations: Array<{ id: number; queued: number }> }
    expect(snap.registrations.find((r) => r.id === registration)!.queued).toBe(3)
    for (let served = 1; served <= 4; served++) {
      await a.until(() => a.served === served && a.holding === 1, `call ${served} arrived`)
      a.release()
    }
    expect((await Promise.all(calls)).map((r) => r.args[1])).toEqual([0, 1, 2, 3])
    expect(a.seen).toEqual([0, 1, 2, 3])
    expect(a.max).toBe(1)
  })

  it('a full queue answers wamp.error.no_available_callee at once, with the reason in args and kwargs', async () => {
    const router = await startRouter({ realms: [realmWithQueue(2, 600_000)] })
    const { callees } = await pool(router.url, kind, 'roundrobin', [1])
    const a = callees[0]!
    const caller = await openPeer(kind, router.url)
    const first = caller.call(URI, [0])
    await a.until(() => a.holding === 1, 'first call held')
    const waiting = [caller.call(URI, [1]), caller.call(URI, [2])]
    const err = await failureOf(caller.call(URI, [3]))
    expect(err.uri).toBe('wamp.error.no_available_callee')
    expect(String(err.args[0])).toMatch(/concurrency cap and the call queue is full \(2 calls waiting\)/)
    expect(err.kwargs).toEqual({ reason: 'queue_full', queued: 2 })
    a.answerAtOnce()
    expect((await Promise.all([first, ...waiting])).map((r) => r.args[1])).toEqual([0, 1, 2])
    expect(a.seen).toEqual([0, 1, 2])
  })

  it('a call that waits longer than the realm maximum is answered no_available_callee (queue_timeout) and never reaches a callee', async () => {
    const router = await startRouter({ realms: [realmWithQueue(10, 30)] })
    const { callees } = await pool(router.url, kind, 'roundrobin', [1])
    const a = callees[0]!
    const caller = await openPeer(kind, router.url)
    const first = caller.call(URI, [0])
    await a.until(() => a.holding === 1, 'first call held')
    const err = await failureOf(caller.call(URI, [1]))
    expect(err.uri).toBe('wamp.error.no_available_callee')
    expect(String(err.args[0])).toMatch(/waited 30 ms for a callee under its concurrency cap/)
    expect(err.kwargs).toMatchObject({ reason: 'queue_timeout' })
    a.answerAtOnce()
    expect((await first).args[1]).toBe(0)
    expect(a.seen).toEqual([0])
  })

  it("a call's own timeout fires while it waits: wamp.error.timeout, and it leaves the queue", async () => {
    const router = await startRouter()
    const { callees, registration } = await pool(router.url, kind, 'roundrobin', [1])
    const a = callees[0]!
    const caller = await openPeer(kind, router.url)
    const first = caller.call(URI, [0])
    await a.until(() => a.holding === 1, 'first call held')
    const err = await failureOf(caller.call(URI, [1], undefined, { timeout: 30 }))
    expect(err.uri).toBe('wamp.error.timeout')
    expect((await describeReg(caller, registration)).queued).toBe(0)
    a.answerAtOnce()
    expect((await first).args[1]).toBe(0)
    expect(a.seen).toEqual([0])
  })

  it('a call the router gives up on (its timeout) frees the slot for the next waiting call at once', async () => {
    const router = await startRouter()
    const { callees } = await pool(router.url, kind, 'roundrobin', [1])
    const a = callees[0]!
    const caller = await openPeer(kind, router.url)
    const givenUp = failureOf(caller.call(URI, [0], undefined, { timeout: 50 }))
    await a.until(() => a.holding === 1, 'first call held')
    const next = caller.call(URI, [1])
    expect((await givenUp).uri).toBe('wamp.error.timeout')
    await a.until(() => a.seen.length === 2, 'the waiting call reached the callee')
    expect(a.seen).toEqual([0, 1])
    a.answerAtOnce()
    expect((await next).args).toEqual(['a', 1])
  })

  it('an ERROR from the callee frees its slot for the next waiting call', async () => {
    const router = await startRouter()
    const callee = await openPeer(kind, router.url)
    let current = 0
    let max = 0
    const release: Array<() => void> = []
    await callee.register(
      URI,
      async (inv): Promise<Partial<Payload>> => {
        current++
        max = Math.max(max, current)
        await new Promise<void>((r) => release.push(r))
        current--
        if (inv.args[0] === 0) throw new WampFailure('com.example.failed')
        return { args: ['ok', inv.args[0]] }
      },
      routingOptions(kind, 'roundrobin', 1),
    )
    const caller = await openPeer('autobahn', router.url)
    const failing = failureOf(caller.call(URI, [0]))
    const next = caller.call(URI, [1])
    await until(() => release.length === 1)
    release.shift()!()
    expect((await failing).uri).toBe('com.example.failed')
    await until(() => release.length === 1)
    release.shift()!()
    expect((await next).args).toEqual(['ok', 1])
    expect(max).toBe(1)
  })
})

/** Bounded wait for a condition driven by router traffic (checked each macrotask). */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !ok(); i++) await new Promise((r) => setImmediate(r))
  expect(ok()).toBe(true)
}

describe('leaving the queue (raw caller)', () => {
  async function busy(url: string): Promise<{ a: HeldCallee; registration: number }> {
    const peer = await openPeer('autobahn', url)
    const { callee, registration } = await HeldCallee.register(peer, 'a', URI, { invoke: 'roundrobin', concurrency: 1 })
    return { a: callee, registration }
  }

  it('CANCEL of a waiting call answers wamp.error.canceled and it never reaches the callee', async () => {
    const router = await startRouter()
    const { a, registration } = await busy(router.url)
    const caller = await RawPeer.joined(router.url)
    caller.send([48, 1, {}, URI, [0]])
    await a.until(() => a.holding === 1, 'first call held')
    caller.send([48, 2, {}, URI, [1]])
    const observer = await openPeer('autobahn', router.url)
    await untilQueued(observer, registration, 1)
    caller.send([49, 2, { mode: 'kill' }])
    const err = await caller.callReply(2)
    expect(err.slice(0, 5)).toEqual([8, 48, 2, {}, 'wamp.error.canceled'])
    expect((await describeReg(observer, registration)).queued).toBe(0)
    a.answerAtOnce()
    expect((await caller.callReply(1))[0]).toBe(50)
    expect(a.seen).toEqual([0])
  })

  it('a caller that leaves takes its waiting calls out of the queue', async () => {
    const router = await startRouter()
    const { a, registration } = await busy(router.url)
    const leaver = await RawPeer.joined(router.url)
    leaver.send([48, 1, {}, URI, [0]])
    await a.until(() => a.holding === 1, 'first call held')
    leaver.send([48, 2, {}, URI, [1]])
    leaver.send([48, 3, {}, URI, [2]])
    const observer = await openPeer('autobahn', router.url)
    await untilQueued(observer, registration, 2)
    leaver.terminate()
    await untilQueued(observer, registration, 0)
    const stays = observer.call(URI, [3])
    a.answerAtOnce()
    expect((await stays).args[1]).toBe(3)
    expect(a.seen).toEqual([0, 3])
  })

  it('a CALL reusing the request id of a waiting call is a protocol violation', async () => {
    const router = await startRouter()
    const { a } = await busy(router.url)
    const caller = await RawPeer.joined(router.url)
    caller.send([48, 1, {}, URI, [0]])
    await a.until(() => a.holding === 1, 'first call held')
    caller.send([48, 2, {}, URI, [1]])
    caller.send([48, 2, {}, URI, [2]])
    const abort = await caller.nextOf(3)
    expect(abort[2]).toBe('wamp.error.protocol_violation')
  })
})

async function untilQueued(observer: Peer, registration: number, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await describeReg(observer, registration)).queued === n) return
  }
  expect((await describeReg(observer, registration)).queued).toBe(n)
}

describe('waiting calls and callees coming, going, cordoned, drained, reweighted', () => {
  async function setup(realm: RealmConfig = authRealm()): Promise<{
    url: string
    a: HeldCallee
    registration: number
    caller: Peer
    admin: Awaited<ReturnType<typeof adminSession>>
  }> {
    const router = await startRouter({ realms: [realm] })
    const peer = await openPeer('autobahn', router.url)
    const { callee: a, registration } = await HeldCallee.register(peer, 'a', URI, { invoke: 'roundrobin', concurrency: 1 })
    const caller = await openPeer('autobahn', router.url)
    return { url: router.url, a, registration, caller, admin: await adminSession(router.url) }
  }

  it('a callee that registers takes the waiting calls up to its own cap', async () => {
    const { url, a, registration, caller } = await setup()
    const calls = [0, 1, 2, 3].map((i) => caller.call(URI, [i]))
    await untilQueued(caller, registration, 3)
    const wampy = await openPeer('wampy', url, 'cbor')
    const { callee: b } = await HeldCallee.register(wampy, 'b', URI, { invoke: 'roundrobin', _concurrency: 2 })
    await b.until(() => b.holding === 2, 'b took two waiting calls')
    expect(b.seen).toEqual([1, 2])
    expect((await describeReg(caller, registration)).queued).toBe(1)
    a.answerAtOnce()
    b.answerAtOnce()
    expect((await Promise.all(calls)).map((r) => r.args[1])).toEqual([0, 1, 2, 3])
    expect([a.max, b.max]).toEqual([1, 2])
  })

  it('when the last callee leaves, waiting calls are answered no_available_callee (callees_gone)', async () => {
    const { a, registration, caller } = await setup()
    const first = failureOf(caller.call(URI, [0]))
    const waiting = failureOf(caller.call(URI, [1]))
    await untilQueued(caller, registration, 1)
    await a.peer.leave()
    expect((await first).uri).toBe('wamp.error.canceled')
    const err = await waiting
    expect(err.uri).toBe('wamp.error.no_available_callee')
    expect(err.kwargs).toMatchObject({ reason: 'callees_gone' })
  })

  it('cordoned: a call does not wait for a cordoned callee (no_available_callee at once); uncordon serves the queue', async () => {
    const { url, a, registration, caller, admin } = await setup()
    const bPeer = await openPeer('wampy', url)
    const { callee: b } = await HeldCallee.register(bPeer, 'b', URI, { invoke: 'roundrobin', _concurrency: 1 })
    await admin.call('wampctl.callee.cordon', [bPeer.id, registration])
    const first = caller.call(URI, [0])
    await a.until(() => a.holding === 1, 'a busy')
    const waiting = caller.call(URI, [1])
    await untilQueued(caller, registration, 1)
    expect(b.served).toBe(0)
    await admin.call('wampctl.callee.uncordon', [bPeer.id, registration])
    await b.until(() => b.holding === 1, 'b took the waiting call on uncordon')
    a.answerAtOnce()
    b.answerAtOnce()
    expect((await Promise.all([first, waiting])).map((r) => r.args)).toEqual([
      ['a', 0],
      ['b', 1],
    ])

    // Cordon both: nobody in rotation will have room, so nothing waits.
    await admin.call('wampctl.callee.cordon', [bPeer.id, registration])
    await admin.call('wampctl.callee.cordon', [a.peer.id, registration])
    const err = await failureOf(caller.call(URI, [2]))
    expect(err.uri).toBe('wamp.error.no_available_callee')
    expect(String(err.args[0])).toMatch(/out of rotation \(cordoned\)/)
  })

  it('draining: a waiting call does not go to the draining callee when its slot frees; it waits for another', async () => {
    const { url, a, registration, caller, admin } = await setup()
    const first = caller.call(URI, [0])
    await a.until(() => a.holding === 1, 'a busy')
    const waiting = caller.call(URI, [1])
    await untilQueued(caller, registration, 1)
    const drained = admin.call('wampctl.callee.drain', [a.peer.id, registration], { then: 'none' })
    a.release()
    expect((await first).args[1]).toBe(0)
    await drained
    expect(a.seen).toEqual([0])
    expect((await describeReg(caller, registration)).queued).toBe(1)
    const bPeer = await openPeer('autobahn', url)
    const { callee: b } = await HeldCallee.register(bPeer, 'b', URI, { invoke: 'roundrobin', concurrency: 1 })
    b.answerAtOnce()
    expect((await waiting).args).toEqual(['b', 1])
  })

  it('weights: a weight-0 callee with room takes nothing; raising its weight serves the queue', async () => {
    const { url, a, registration, caller, admin } = await setup()
    const bPeer = await openPeer('wampy', url)
    const { callee: b } = await HeldCallee.register(bPeer, 'b', URI, { invoke: 'roundrobin', _concurrency: 1, _weight: 0 })
    const first = caller.call(URI, [0])
    await a.until(() => a.holding === 1, 'a busy')
    const waiting = caller.call(URI, [1])
    await untilQueued(caller, registration, 1)
    await admin.call('wampctl.registration.set_weight', [registration, bPeer.id, 3])
    await b.until(() => b.holding === 1, 'b took the waiting call')
    a.answerAtOnce()
    b.answerAtOnce()
    expect((await Promise.all([first, waiting])).map((r) => r.args[0])).toEqual(['a', 'b'])
  })
})

describe('REGISTER option concurrency: checks and reporting', () => {
  it('wamp.registration.get and describe report each callee’s cap (null = none) and the policy', async () => {
    const router = await startRouter()
    const a = await openPeer('autobahn', router.url)
    const b = await openPeer('wampy', router.url, 'msgpack')
    const id = await a.register(URI, () => ({}), { invoke: 'least_loaded', concurrency: 4 })
    await b.register(URI, () => ({}), { _invoke: 'least_loaded' })
    const q = await openPeer('autobahn', router.url)
    const got = (await q.call('wamp.registration.get', [id])).args[0] as Dict
    expect(got).toMatchObject({
      id,
      invoke: 'least_loaded',
      callees: [
        { session: a.id, concurrency: 4 },
        { session: b.id, concurrency: null },
      ],
    })
    const d = await describeReg(q, id)
    expect(d.invoke).toBe('least_loaded')
    expect(d.callees.map((c) => [c.session, c.concurrency])).toEqual([
      [a.id, 4],
      [b.id, null],
    ])
  })

  it('a concurrency that is not an integer from 1 to 1000000 is wamp.error.invalid_argument', async () => {
    const router = await startRouter()
    const p = await RawPeer.joined(router.url)
    for (const bad of [0, -1, 1.5, 'two', 2_000_000]) {
      const err = await p.register(URI, { invoke: 'roundrobin', concurrency: bad })
      expect(err[4]).toBe('wamp.error.invalid_argument')
      expect(String((err[5] as unknown[])[0])).toMatch(/concurrency must be an integer/)
    }
    expect((await p.register(URI, { invoke: 'roundrobin', _concurrency: 3 }))[0]).toBe(65)
  })

  it('with the extensions off, concurrency is ignored like any unknown option', async () => {
    const router = await startRouter({ extensions: false })
    const peer = await openPeer('autobahn', router.url)
    const { callee: a } = await HeldCallee.register(peer, 'a', URI, { invoke: 'roundrobin', concurrency: 1 })
    const caller = await openPeer('autobahn', router.url)
    const calls = [0, 1, 2].map((i) => caller.call(URI, [i]))
    await a.until(() => a.holding === 3, 'all three at once')
    a.answerAtOnce()
    await Promise.all(calls)
    expect(a.max).toBe(3)
  })
})

describe('queue length in wampctl.stats.on_tick', () => {
  it('a tick names each registration whose queue length changed since the previous tick', async () => {
    const router = await startRouter({ statsIntervalMs: 20 })
    const { callees, registration } = await pool(router.url, 'autobahn', 'roundrobin', [1])
    const a = callees[0]!
    const watcher = await openPeer('autobahn', router.url)
    const seen: Array<[number, number]> = []
    let wake: (() => void) | undefined
    await watcher.subscribe('wampctl.stats.on_tick', (e) => {
      const tick = e.args[0] as { queued?: Array<[number, number]> }
      for (const q of tick.queued ?? []) seen.push(q)
      wake?.()
    })
    const next = (ok: () => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such tick; saw ${JSON.stringify(seen)}`)), 10_000)
        wake = () => {
          if (!ok()) return
          clearTimeout(timer)
          resolve()
        }
        wake()
      })
    const caller = await openPeer('autobahn', router.url)
    const calls = [0, 1, 2].map((i) => caller.call(URI, [i]))
    await next(() => seen.some(([r, n]) => r === registration && n === 2))
    a.answerAtOnce()
    await Promise.all(calls)
    await next(() => seen.at(-1)?.[0] === registration && seen.at(-1)?.[1] === 0)
  })
})

describe('call-queue limits: router-wide default, realm override', () => {
  it('RouterOptions.callQueue applies to every realm; a realm’s callQueue overrides it field by field', async () => {
    const router = await startRouter({
      callQueue: { size: 0 },
      realms: ['realm1', { name: 'roomy', callQueue: { size: 5 } }],
    })
    const refusedIn = async (realm: string): Promise<string | undefined> => {
      const callee = await RawPeer.joined(router.url, 'json', {}, realm)
      await callee.register(URI, { invoke: 'roundrobin', concurrency: 1 })
      const caller = await RawPeer.joined(router.url, 'json', {}, realm)
      caller.send([48, 1, {}, URI, []])
      await callee.nextOf(68)
      caller.send([48, 2, {}, URI, [], {}])
      const observer = await openPeer('autobahn', router.url, 'json', { realm })
      const reg = (await observer.call('wamp.registration.lookup', [URI])).args[0] as number
      for (let i = 0; i < 100; i++) {
        const d = await describeReg(observer, reg)
        if (d.queued === 1) return undefined
        const reply = caller.received.find((m) => m[0] === 8 && m[2] === 2)
        if (reply !== undefined) return (reply[6] as { reason?: string }).reason
      }
      return 'neither'
    }
    expect(await refusedIn('realm1')).toBe('queue_full')
    expect(await refusedIn('roomy')).toBeUndefined() // waits in the queue
  })

  it('limits that make no sense are refused when the router is built', () => {
    expect(() => new Router({ callQueue: { size: -1 } })).toThrow(/callQueue.size must be a whole number/)
    expect(() => new Router({ realms: [{ name: 'r', callQueue: { maxWaitMs: 0 } }] })).toThrow(/realm 'r' callQueue.maxWaitMs/)
  })
})
