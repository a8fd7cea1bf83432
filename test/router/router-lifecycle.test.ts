import { describe, expect, it } from 'vitest'
import { Router } from '../../src/router/router.js'
import { openPeer } from '../support/peers.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** The embeddable Router: listen, url, path, close (GOODBYE system_shutdown to every session). */

describe('Router lifecycle', () => {
  it('close() says GOODBYE wamp.close.system_shutdown to every session of every realm, then stops listening', async () => {
    const router = await startRouter({ realms: ['realm1', 'realm2'] })
    const a = await RawPeer.joined(router.url, 'json')
    const b = await RawPeer.joined(router.url, 'cbor', {}, 'realm2')
    const url = router.url
    await router.close()
    for (const p of [a, b]) {
      expect(await p.nextOf(6)).toEqual([6, { message: expect.any(String) }, 'wamp.close.system_shutdown'])
      await p.closed
    }
    await expect(RawPeer.open(url)).rejects.toThrow()
  })

  it('port 0 picks a free port; a custom path is served and the default one is not', async () => {
    const router = await startRouter({ path: '/wamp' })
    expect(router.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/wamp$/)
    expect(router.port).toBeGreaterThan(0)
    const p = await openPeer('wampy', router.url, 'msgpack')
    expect((await p.call('wamp.session.count')).args).toEqual([1])
    await expect(RawPeer.open(router.url.replace(/\/wamp$/, '/ws'))).rejects.toThrow(/HTTP 404/)
  })

  it('misuse of the API throws RouterConfigError: url before listen, listen twice, a realm configured twice', async () => {
    const idle = new Router()
    expect(() => idle.url).toThrow(/not listening/)
    const router = await startRouter()
    await expect(router.listen({ host: '127.0.0.1', port: 0 })).rejects.toThrow(/already listening/)
    expect(() => new Router({ realms: ['realm1', 'realm1'] })).toThrow(/configured twice/)
  })

  it('a transport may carry a new session after GOODBYE', async () => {
    const router = await startRouter()
    const p = await RawPeer.joined(router.url)
    const first = p.sessionId
    p.send([6, {}, 'wamp.close.normal'])
    expect(await p.nextOf(6)).toEqual([6, {}, 'wamp.close.goodbye_and_out'])
    expect((await p.hello())[0]).toBe(2)
    expect(p.sessionId).not.toBe(first)
    expect(await p.call('wamp.session.list')).toEqual([50, expect.any(Number), {}, [[p.sessionId]]])
  })
})
