import { describe, expect, it } from 'vitest'
import { NotAuthorizedError, NotFoundError, SafetyError, UnsupportedError } from '../../src/client/errors.js'
import { setCordon } from '../../src/ops/cordon.js'
import { openPeer, type Peer } from '../support/peers.js'
import { opsMeta, startOpsRouter } from '../support/ops-realm.js'

async function rejection(p: Promise<unknown>): Promise<Error & { exitCode?: number }> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

/** Callee `name` answering its own name on `uri` (roundrobin). */
async function serve(peer: Peer, uri: string, name: string): Promise<void> {
  await peer.register(uri, () => ({ args: [name] }), { invoke: 'roundrobin' })
}

async function answers(caller: Peer, uri: string, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push((await caller.call(uri)).args[0] as string)
  return out
}

describe('setCordon', () => {
  it('cordons every registration of a session, routes around it, and uncordon puts it back', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'msgpack')
    await serve(a, 'com.a', 'a')
    await serve(b, 'com.a', 'b')
    await serve(a, 'com.b', 'a')
    await serve(b, 'com.b', 'b')
    const caller = await openPeer('autobahn', router.url, 'json')
    const meta = await opsMeta(router.url)

    const report = await setCordon(meta, String(a.id), { cordon: true })
    expect(report.state).toBe('cordoned')
    expect(report.registrations.map((r) => [r.uri, r.before, r.state, r.changed])).toEqual([
      ['com.a', 'active', 'cordoned', true],
      ['com.b', 'active', 'cordoned', true],
    ])
    expect(await answers(caller, 'com.a', 4)).toEqual(['b', 'b', 'b', 'b'])
    expect(await answers(caller, 'com.b', 2)).toEqual(['b', 'b'])

    const back = await setCordon(meta, String(a.id), { cordon: false })
    expect(back.registrations.map((r) => [r.uri, r.before, r.state])).toEqual([
      ['com.a', 'cordoned', 'active'],
      ['com.b', 'cordoned', 'active'],
    ])
    expect(new Set(await answers(caller, 'com.a', 4))).toEqual(new Set(['a', 'b']))
  })

  it('with a URI cordons only that registration', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('wampy', router.url, 'json')
    const b = await openPeer('autobahn', router.url, 'cbor')
    for (const uri of ['com.a', 'com.b']) {
      await serve(a, uri, 'a')
      await serve(b, uri, 'b')
    }
    const meta = await opsMeta(router.url)
    const report = await setCordon(meta, String(a.id), { uri: 'com.b', cordon: true })
    expect(report.registrations.map((r) => r.uri)).toEqual(['com.b'])
    const snap = await meta.snapshot()
    const stateOf = (uri: string): string | undefined =>
      snap.registrations.find((r) => r.uri === uri)?.callees.find((c) => c.session === a.id)?.state
    expect(stateOf('com.a')).toBe('active')
    expect(stateOf('com.b')).toBe('cordoned')
  })

  it('refuses (exit 4) to cordon the last callee taking calls, and does it with force', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    await serve(a, 'com.only', 'a')
    const meta = await opsMeta(router.url)
    const err = await rejection(setCordon(meta, String(a.id), { cordon: true }))
    expect(err).toBeInstanceOf(SafetyError)
    expect(err.exitCode).toBe(4)
    const id = await meta.resolveRegistration('com.only')
    expect((await meta.describe(id)).callees[0]!.state).toBe('active')
    await setCordon(meta, String(a.id), { cordon: true, force: true })
    expect((await meta.describe(id)).callees[0]!.state).toBe('cordoned')
  })

  it('refuses a session that is not a callee of the URI as not found (exit 3)', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('autobahn', router.url, 'json')
    await serve(a, 'com.a', 'a')
    await serve(b, 'com.b', 'b')
    const meta = await opsMeta(router.url)
    const err = await rejection(setCordon(meta, String(a.id), { uri: 'com.b', cordon: true }))
    expect(err).toBeInstanceOf(NotFoundError)
    expect(err.message).toContain(`session ${a.id} is not a callee of com.b`)
  })

  it('is refused for an anonymous session (not authorized), changing nothing', async () => {
    const router = await startOpsRouter()
    const a = await openPeer('autobahn', router.url, 'json')
    const b = await openPeer('wampy', router.url, 'json')
    await serve(a, 'com.a', 'a')
    await serve(b, 'com.a', 'b')
    const anon = await opsMeta(router.url, true)
    const err = await rejection(setCordon(anon, String(a.id), { cordon: true }))
    expect(err).toBeInstanceOf(NotAuthorizedError)
    expect(err.message).toMatch(/^not authorized/)
    const meta = await opsMeta(router.url)
    expect((await meta.describe(await meta.resolveRegistration('com.a'))).callees.map((c) => c.state)).toEqual(['active', 'active'])
  })

  it('says plainly that a router without the extensions cannot cordon, pointing at evict', async () => {
    const router = await startOpsRouter({ extensions: false })
    const a = await openPeer('autobahn', router.url, 'json')
    await serve(a, 'com.a', 'a')
    const meta = await opsMeta(router.url)
    for (const cordon of [true, false]) {
      const err = await rejection(setCordon(meta, String(a.id), { cordon }))
      expect(err).toBeInstanceOf(UnsupportedError)
      expect(err.exitCode).toBe(1)
      expect(err.message).toContain(`cannot ${cordon ? 'cordon' : 'uncordon'} callees`)
      expect(err.message).toContain('wampctl evict')
    }
  })
})
