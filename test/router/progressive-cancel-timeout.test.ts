import { describe, expect, it } from 'vitest'
import { autobahnSession, SERIALIZERS, wampySession } from '../support/clients.js'
import { CLIENTS, failureOf, openPeer, type Invocation, type Payload } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** Progressive call results, call canceling (skip, kill, killnowait) and call timeout. */

const URI = 'com.example.slow'

/** A promise with its resolver, for callees that answer when the test says so. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))(
  'progressive call results, %s caller over %s',
  (kind, ser) => {
    it('progress reaches a caller that asked, in order, before the final result', async () => {
      const router = await startRouter()
      const callee = await openPeer('autobahn', router.url, ser) // announces progressive_call_results, not call_canceling
      await callee.register(URI, (inv) => {
        expect(inv.progress).toBeTypeOf('function')
        inv.progress!([1])
        inv.progress!([2])
        return { args: ['done'] }
      })
      const caller = await openPeer(kind, router.url, ser)
      const progress: Payload[] = []
      const result = await caller.call(URI, [], {}, { onProgress: (p) => progress.push(p) })
      expect(progress.map((p) => p.args)).toEqual([[1], [2]])
      expect(result.args).toEqual(['done'])
    })

    it('a caller that did not ask gets only the final result and the callee is not asked for progress', async () => {
      const router = await startRouter()
      const callee = await openPeer('autobahn', router.url, ser)
      const seen: Invocation[] = []
      await callee.register(URI, (inv) => {
        seen.push(inv)
        return { args: ['done'] }
      })
      const caller = await openPeer(kind, router.url, ser)
      expect((await caller.call(URI)).args).toEqual(['done'])
      expect(seen[0]!.progress).toBeUndefined()
    })
  },
)

describe('progressive results on the wire', () => {
  it.each(SERIALIZERS)('over %s: receive_progress is forwarded only to callees that announced progressive_call_results', async (ser) => {
    const router = await startRouter()
    const announcing = await RawPeer.joined(router.url, ser)
    const silent = await RawPeer.joined(router.url, ser, { roles: { callee: { features: { call_canceling: true } } } })
    await announcing.register('com.example.p1')
    await silent.register('com.example.p2')
    const caller = await RawPeer.joined(router.url, ser)
    for (const [peer, uri] of [
      [announcing, 'com.example.p1'],
      [silent, 'com.example.p2'],
    ] as const) {
      const r = caller.nextRequest()
      caller.send([48, r, { receive_progress: true }, uri])
      const inv = await peer.nextOf(68)
      peer.send([70, inv[1], {}])
      expect(await caller.callReply(r)).toEqual([50, r, {}])
      expect(inv[3]).toEqual(uri === 'com.example.p1' ? { receive_progress: true } : {})
    }
  })

  it('progressive YIELDs for a caller that did not ask are dropped; the final one arrives', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    await callee.register(URI)
    callee.serve((inv) => {
      callee.send([70, inv[1], { progress: true }, ['p']])
      return [70, inv[1], {}, ['final']]
    })
    const caller = await RawPeer.joined(router.url)
    const reply = await caller.call(URI)
    expect(reply).toEqual([50, reply[1], {}, ['final']])
    expect(caller.received.filter((m) => m[0] === 50)).toHaveLength(1)
  })

  it('wampy, which does not announce progressive_call_results as a callee, still answers a caller that asked', async () => {
    const router = await startRouter()
    const callee = await openPeer('wampy', router.url, 'msgpack')
    let details: Record<string, unknown> = {}
    await callee.register(URI, (inv) => {
      details = inv.details
      return { args: ['done'] }
    })
    const caller = await openPeer('autobahn', router.url, 'msgpack')
    const progress: Payload[] = []
    expect((await caller.call(URI, [], {}, { onProgress: (p) => progress.push(p) })).args).toEqual(['done'])
    expect(details.receive_progress).toBeUndefined()
    expect(progress).toEqual([])
  })
})

describe.each(SERIALIZERS)('call canceling over %s', (ser) => {
  it.each(['skip', 'killnowait'] as const)(
    '%s (wampy caller): the caller gets wamp.error.canceled at once; the late answer is dropped',
    async (mode) => {
      const router = await startRouter()
      const callee = await RawPeer.joined(router.url, ser) // announces call_canceling
      await callee.register(URI)
      const caller = await wampySession(router.url, ser)
      const pending = caller.call(URI, ['x'])
      const request = caller.getOpStatus().reqId
      const inv = await callee.nextOf(68)
      caller.cancel(request, { mode })
      const err = await failureOf(pending)
      expect(err.uri).toBe('wamp.error.canceled')
      expect(typeof err.args[0]).toBe('string')
      if (mode === 'killnowait') expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'killnowait' }])
      callee.send([70, inv[1], {}, ['too late']]) // dropped by the router
      callee.serve((i) => [70, i[1], {}, ['next']])
      expect((await caller.call(URI)).argsList).toEqual(['next'])
      if (mode === 'skip') expect(callee.received.some((m) => m[0] === 69)).toBe(false)
    },
  )

  it('kill: the callee is interrupted and the caller gets whatever the callee answers', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url, ser)
    await callee.register(URI)
    const caller = await autobahnSession(router.url, ser)
    const pending = caller.call(URI) as unknown as { cancel(o: object): void } & Promise<unknown>
    const inv = await callee.nextOf(68)
    pending.cancel({ mode: 'kill' })
    expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'kill' }])
    callee.send([8, 68, inv[1], {}, 'wamp.error.canceled', ['stopped'], { at: 3 }])
    const err = await failureOf(pending)
    expect([err.uri, err.args, err.kwargs]).toEqual(['wamp.error.canceled', ['stopped'], { at: 3 }])
  })

  it('kill to a callee without call_canceling: the caller gets wamp.error.canceled at once', async () => {
    const router = await startRouter()
    const callee = await autobahnSession(router.url, ser) // autobahn callees do not announce call_canceling
    const invoked = deferred<void>()
    await callee.register(URI, () => {
      invoked.resolve()
      return new Promise(() => {})
    })
    const caller = await autobahnSession(router.url, ser)
    const pending = caller.call(URI) as unknown as { cancel(o: object): void } & Promise<unknown>
    await invoked.promise
    pending.cancel({ mode: 'kill' })
    expect((await failureOf(pending)).uri).toBe('wamp.error.canceled')
  })
})

describe.each(SERIALIZERS)('call timeout over %s', (ser) => {
  it.each(CLIENTS)('a %s caller gets wamp.error.timeout; a callee with call_canceling is interrupted', async (kind) => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url, ser)
    await callee.register(URI)
    const caller = await openPeer(kind, router.url, ser)
    const pending = failureOf(caller.call(URI, [], {}, { timeout: 50 }))
    const inv = await callee.nextOf(68)
    expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'killnowait', reason: 'wamp.error.timeout' }])
    const err = await pending
    expect(err.uri).toBe('wamp.error.timeout')
    callee.send([70, inv[1], {}, ['late']])
    callee.serve((i) => [70, i[1], {}, ['on time']])
    expect((await caller.call(URI)).args).toEqual(['on time'])
  })
})

describe('caller disclosure', () => {
  it.each(SERIALIZERS)(
    'over %s: the caller is disclosed only when it asks (disclose_me) or the callee registered with disclose_caller',
    async (ser) => {
      const router = await startRouter()
      const plain = await RawPeer.joined(router.url, ser)
      const curious = await RawPeer.joined(router.url, ser)
      await plain.register('com.example.plain')
      await curious.register('com.example.curious', { disclose_caller: true })
      plain.serve((inv) => [70, inv[1], {}, [inv[3]]])
      curious.serve((inv) => [70, inv[1], {}, [inv[3]]])
      const caller = await wampySession(router.url, ser)
      const me = { caller: caller.getSessionId(), caller_authid: `anonymous-${caller.getSessionId()}`, caller_authrole: 'anonymous' }
      expect((await caller.call('com.example.plain')).argsList).toEqual([{}])
      expect((await caller.call('com.example.plain', null, { disclose_me: true })).argsList).toEqual([me])
      expect((await caller.call('com.example.curious')).argsList).toEqual([me])
    },
  )

  it('disclose_caller is per callee: in a shared registration only the callee that asked sees the caller', async () => {
    const router = await startRouter()
    const a = await autobahnSession(router.url)
    const b = await autobahnSession(router.url)
    await a.register(URI, (_a, _k, d) => (d as { caller?: number }).caller ?? null, {
      invoke: 'roundrobin',
      disclose_caller: true,
    } as never)
    await b.register(URI, (_a, _k, d) => (d as { caller?: number }).caller ?? null, { invoke: 'roundrobin' })
    const caller = await autobahnSession(router.url)
    expect([await caller.call(URI), await caller.call(URI)]).toEqual([caller.id, null])
  })
})

describe('timeout and rerouting', () => {
  it('a call rerouted after wamp.error.unavailable keeps its timeout', async () => {
    const router = await startRouter()
    const busy = await RawPeer.joined(router.url)
    const silent = await RawPeer.joined(router.url)
    await busy.register(URI, { invoke: 'first' })
    await silent.register(URI, { invoke: 'first' })
    busy.serve((inv) => [8, 68, inv[1], {}, 'wamp.error.unavailable'])
    const caller = await RawPeer.joined(router.url)
    const reply = caller.call(URI, [], undefined, { timeout: 50 })
    await silent.nextOf(68) // rerouted there; it never answers
    expect(await reply).toEqual([8, 48, expect.any(Number), {}, 'wamp.error.timeout', [expect.any(String)]])
  })
})
