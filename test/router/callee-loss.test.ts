import { describe, expect, it } from 'vitest'
import { adminSession, authRealm } from '../support/admin.js'
import { autobahnSession, SERIALIZERS } from '../support/clients.js'
import { MetaRecorder } from '../support/meta.js'
import { CLIENTS, failureOf, openPeer, type Peer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/**
 * A callee lost with calls in flight: each caller gets wamp.error.canceled at once. Registration
 * revocation (wamp.registration.remove_callee) only reaches callees that announced it.
 */

const URI = 'com.example.held'

describe.each(CLIENTS.flatMap((c) => SERIALIZERS.map((s) => [c, s] as const)))('callee lost, %s callers over %s', (kind, ser) => {
  it('every caller with a call in flight gets wamp.error.canceled when the callee leaves', async () => {
    const router = await startRouter()
    const callee = await openPeer(kind, router.url, ser)
    let invoked = 0
    let allInvoked!: () => void
    const three = new Promise<void>((r) => (allInvoked = r))
    await callee.register(URI, () => {
      if (++invoked === 3) allInvoked()
      return new Promise(() => {}) // never answers
    })
    const callers: Peer[] = []
    for (let i = 0; i < 2; i++) callers.push(await openPeer(kind, router.url, ser))
    const failures = [failureOf(callers[0]!.call(URI)), failureOf(callers[0]!.call(URI)), failureOf(callers[1]!.call(URI))]
    await three
    await callee.leave()
    for (const f of await Promise.all(failures)) {
      expect(f.uri).toBe('wamp.error.canceled')
      expect(typeof f.args[0]).toBe('string')
    }
    // The callers' sessions are fine and the URI is free again.
    const again = await openPeer(kind, router.url, ser)
    await again.register(URI, () => ({ args: ['back'] }))
    expect((await callers[1]!.call(URI)).args).toEqual(['back'])
  })
})

describe('callee transport lost', () => {
  it.each(SERIALIZERS)('over %s: a dropped socket cancels its calls in flight; the other callee keeps serving its own', async (ser) => {
    const router = await startRouter()
    const doomed = await RawPeer.joined(router.url, ser)
    const steady = await RawPeer.joined(router.url, ser)
    await doomed.register(URI, { invoke: 'roundrobin' })
    await steady.register(URI, { invoke: 'roundrobin' })
    const caller = await RawPeer.joined(router.url, ser)
    const r1 = caller.nextRequest()
    const r2 = caller.nextRequest()
    caller.send([48, r1, {}, URI, ['one']])
    caller.send([48, r2, {}, URI, ['two']])
    await doomed.nextOf(68)
    const held = await steady.nextOf(68)
    doomed.terminate()
    expect(await caller.callReply(r1)).toEqual([8, 48, r1, {}, 'wamp.error.canceled', [expect.any(String)]])
    steady.send([70, held[1], {}, ['two done']])
    expect(await caller.callReply(r2)).toEqual([50, r2, {}, ['two done']])
    steady.serve((inv) => [70, inv[1], {}, inv[4] as unknown[]])
    expect(await caller.call(URI, ['three'])).toEqual([50, expect.any(Number), {}, ['three']])
  })
})

describe('registration revocation (wamp.registration.remove_callee)', () => {
  it('an autobahn callee is told why; a wampy callee is not sent one and keeps working', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), ['wamp.registration.on_unregister'])
    const ab = await openPeer('autobahn', router.url, 'cbor')
    const wy = await openPeer('wampy', router.url, 'msgpack')
    const regId = await ab.register(URI, () => ({ args: ['ab'] }), { invoke: 'roundrobin' })
    await wy.register(URI, () => ({ args: ['wy'] }), { invoke: 'roundrobin' })
    await wy.register('com.example.other', () => ({ args: ['other'] }))

    expect(await admin.call('wamp.registration.remove_callee', [regId, ab.id, 'com.example.maintenance'])).toBeNull()
    await meta.waitForTopic('wamp.registration.on_unregister', 0, ab.id)
    expect((await wy.call(URI)).args).toEqual(['wy'])

    await admin.call('wamp.registration.remove_callee', [regId, wy.id])
    await meta.waitForTopic('wamp.registration.on_unregister', 0, wy.id)
    expect((await failureOf(ab.call(URI))).uri).toBe('wamp.error.no_such_procedure')
    // wampy was not sent an UNREGISTERED it cannot handle: its session still works both ways.
    expect((await wy.call('com.example.other')).args).toEqual(['other'])
    expect((await ab.call('com.example.other')).args).toEqual(['other'])
  })

  it('autobahn resolves the revoked registration with the reason', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const callee = await autobahnSession(router.url, 'json')
    const reg = (await callee.register(URI, () => 'x')) as unknown as { id: number; on_unregister: Promise<string>; active: boolean }
    await admin.call('wamp.registration.remove_callee', [reg.id, callee.id, 'com.example.maintenance'])
    expect(await reg.on_unregister).toBe('com.example.maintenance')
    expect(reg.active).toBe(false)
  })

  it.each(SERIALIZERS)('over %s: UNREGISTERED 0 goes only to callees that announced registration_revocation (raw wire)', async (ser) => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const announcing = await RawPeer.joined(router.url, ser)
    const silent = await RawPeer.joined(router.url, ser, {
      roles: { callee: { features: { progressive_call_results: true } }, caller: {} },
    })
    const reg = (await announcing.register(URI, { invoke: 'roundrobin' }))[2] as number
    await silent.register(URI, { invoke: 'roundrobin' })
    await admin.call('wamp.registration.remove_callee', [reg, announcing.sessionId])
    expect(await announcing.nextOf(67)).toEqual([67, 0, { registration: reg, reason: 'wamp.error.removed' }])
    await admin.call('wamp.registration.remove_callee', [reg, silent.sessionId, 'com.example.bye'])
    // The registration is gone now (last callee removed); the silent callee got nothing for it.
    expect(await silent.call('wamp.registration.lookup', [URI])).toEqual([50, expect.any(Number), {}, [null]])
    expect(silent.received.filter((m) => m[0] === 67)).toEqual([])
  })

  it('remove_callee with an unknown registration or a session that is not its callee fails cleanly', async () => {
    const router = await startRouter({ realms: [authRealm()] })
    const admin = await adminSession(router.url)
    const callee = await openPeer('wampy', router.url)
    const reg = await callee.register(URI, () => ({ args: ['ok'] }))
    expect(
      (
        await failureOf(
          admin.call('wamp.registration.remove_callee', [reg + 1 === 2 ** 53 ? 1 : reg + 1, callee.id]) as unknown as Promise<unknown>,
        )
      ).uri,
    ).toBe('wamp.error.no_such_registration')
    expect((await failureOf(admin.call('wamp.registration.remove_callee', [reg, admin.id]) as unknown as Promise<unknown>)).uri).toBe(
      'wamp.error.no_such_session',
    )
    expect(await admin.call(URI)).toBe('ok')
  })
})

describe('caller lost with a call in flight', () => {
  it.each(SERIALIZERS)(
    'over %s: a callee with call_canceling is interrupted; its late answer is dropped and it keeps serving',
    async (ser) => {
      const router = await startRouter()
      const callee = await RawPeer.joined(router.url, ser)
      await callee.register(URI)
      const doomed = await RawPeer.joined(router.url, ser)
      doomed.send([48, 1, {}, URI])
      const inv = await callee.nextOf(68)
      doomed.terminate()
      expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'killnowait' }])
      callee.send([70, inv[1], {}, ['nobody is listening']])
      callee.serve((i) => [70, i[1], {}, ['served']])
      const caller = await openPeer('autobahn', router.url, ser)
      expect((await caller.call(URI)).args).toEqual(['served'])
    },
  )
})
