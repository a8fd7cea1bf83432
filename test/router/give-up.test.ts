import { describe, expect, it } from 'vitest'
import type { CalleeStats, DrainProgress, RouterSnapshot } from '../../src/protocol/extensions.js'
import { waitUntil } from '../support/meta.js'
import { opsMeta, startOpsRouter } from '../support/ops-realm.js'
import { RawPeer, type Message } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/**
 * A callee that answers pings but never its invocations: visible in the statistics (calls in
 * flight, age of the oldest), and given up on by the router (invocation deadline, the caller's
 * timeout, CANCEL): the caller is answered, the callee INTERRUPTed, and the call forgotten at once.
 */

const URI = 'com.example.stuck'

async function calleeStats(peer: RawPeer, session: number): Promise<CalleeStats> {
  const snap = (await peer.call('wampctl.registration.snapshot'))[3] as [RouterSnapshot]
  const reg = snap[0].registrations.find((r) => r.uri === URI)!
  return reg.callees.find((c) => c.session === session)!
}

/** CALL without waiting for its answer; returns the request id. */
function callAsync(peer: RawPeer, options: Record<string, unknown> = {}, uri = URI): number {
  const r = peer.nextRequest()
  peer.send([48, r, options, uri, []])
  return r
}

describe('invocation deadline', () => {
  it('REGISTER _deadline_ms: the caller gets wamp.error.timeout, the callee INTERRUPT, in flight back to 0; a late YIELD is dropped', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    expect((await callee.register(URI, { _deadline_ms: 200 }))[0]).toBe(65)
    const caller = await RawPeer.joined(router.url)
    const r = callAsync(caller)
    const inv = await callee.nextOf(68)
    const answer = await caller.callReply(r)
    expect(answer.slice(0, 5)).toEqual([8, 48, r, {}, 'wamp.error.timeout'])
    expect(await callee.nextOf(69, inv[1] as number)).toEqual([69, inv[1], { mode: 'killnowait', reason: 'wamp.error.timeout' }])
    const stats = await calleeStats(caller, callee.sessionId)
    expect(stats).toMatchObject({ inflight: 0, oldest_inflight_ms: null, timeouts: 1, errors: 1, deadline_ms: 200 })

    // The callee's late answer goes nowhere; the next call (answered in time) gets its own result.
    callee.send([70, inv[1], {}, ['late']])
    callee.serve((m) => [70, m[1], {}, ['on time']])
    expect((await caller.call(URI)).slice(2)).toEqual([{}, ['on time']])
    expect(caller.received.filter((m) => m[0] === 50 && (m[3] as unknown[])[0] === 'late')).toEqual([])
  })

  it("the realm's invocationDeadlineMs applies to every registration without _deadline_ms; _deadline_ms 0 opts out", async () => {
    const router = await startRouter({ realms: [{ name: 'realm1', invocationDeadlineMs: 150 }] })
    const bounded = await RawPeer.joined(router.url)
    await bounded.register(URI)
    const unbounded = await RawPeer.joined(router.url)
    await unbounded.register('com.example.patient', { _deadline_ms: 0 })
    const caller = await RawPeer.joined(router.url)
    const r = callAsync(caller)
    expect((await caller.callReply(r))[4]).toBe('wamp.error.timeout')
    const patient = callAsync(caller, {}, 'com.example.patient')
    const inv = await unbounded.nextOf(68)
    // Still waiting well past the realm deadline: the bounded call timed out after it was sent.
    const r2 = callAsync(caller)
    expect((await caller.callReply(r2))[4]).toBe('wamp.error.timeout')
    unbounded.send([70, inv[1], {}, ['patience']])
    expect(await caller.callReply(patient)).toEqual([50, patient, {}, ['patience']])
  })

  it('rejects a _deadline_ms that is not a number of milliseconds', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    const reply = await callee.register(URI, { _deadline_ms: 'soon' })
    expect(reply.slice(0, 2)).toEqual([8, 64])
    expect(reply[4]).toBe('wamp.error.invalid_argument')
  })
})

describe('a callee that answers pings but not invocations is visible', () => {
  it('without a deadline: in flight 1 and the age of its oldest call growing', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    await callee.register(URI)
    const caller = await RawPeer.joined(router.url)
    callAsync(caller)
    await callee.nextOf(68)
    const first = await calleeStats(caller, callee.sessionId)
    expect(first.inflight).toBe(1)
    expect(first.oldest_inflight_ms).toBeTypeOf('number')
    await waitUntil(
      async () => (await calleeStats(caller, callee.sessionId)).oldest_inflight_ms! > first.oldest_inflight_ms!,
      'the oldest call in flight to age',
    )
  })
})

describe('when the router gives up on a call it forgets it everywhere', () => {
  it('CALL.Options.timeout: INTERRUPT to the callee, and a drain of that callee waiting on the call finishes', async () => {
    const router = await startOpsRouter()
    const callee = await RawPeer.joined(router.url)
    await callee.register(URI)
    const caller = await RawPeer.joined(router.url)
    const r = callAsync(caller, { timeout: 300 })
    const inv = await callee.nextOf(68)
    const admin = await opsMeta(router.url)
    const progress: DrainProgress[] = []
    const drained = admin.drain(callee.sessionId, undefined, { timeout_ms: 20_000, then: 'none' }, (p) => progress.push(p))
    expect((await caller.callReply(r))[4]).toBe('wamp.error.timeout')
    expect((await callee.nextOf(69, inv[1] as number))[2]).toMatchObject({ mode: 'killnowait' })
    const result = await drained
    expect(result).toMatchObject({ drained: true, inflight: 0 })
    expect(progress.map((p) => p.inflight)).toEqual([1, 0])
  })

  it('CANCEL (killnowait and skip) frees the callee at once; only killnowait interrupts it', async () => {
    const router = await startRouter()
    const callee = await RawPeer.joined(router.url)
    await callee.register(URI)
    const caller = await RawPeer.joined(router.url)
    for (const mode of ['killnowait', 'skip'] as const) {
      const r = callAsync(caller)
      const inv = await callee.nextOf(68)
      expect((await calleeStats(caller, callee.sessionId)).inflight).toBe(1)
      caller.send([49, r, { mode }])
      expect((await caller.callReply(r))[4]).toBe('wamp.error.canceled')
      expect((await calleeStats(caller, callee.sessionId)).inflight).toBe(0)
      const interrupts = (): Message[] => callee.received.filter((m) => m[0] === 69 && m[1] === inv[1])
      if (mode === 'killnowait') await callee.nextOf(69, inv[1] as number)
      else expect(interrupts()).toEqual([])
    }
  })

  it('a caller that leaves: its call is forgotten on the callee (INTERRUPT, in flight 0)', async () => {
    const router = await startOpsRouter()
    const callee = await RawPeer.joined(router.url)
    await callee.register(URI)
    const caller = await RawPeer.joined(router.url)
    callAsync(caller)
    const inv = await callee.nextOf(68)
    caller.terminate()
    await callee.nextOf(69, inv[1] as number)
    const watcher = await RawPeer.joined(router.url)
    expect((await calleeStats(watcher, callee.sessionId)).inflight).toBe(0)
  })
})
