import { expect } from 'vitest'
import type { RouterOptions } from '../../src/router/config.js'
import type { Router } from '../../src/router/router.js'
import type { SerializerName } from './clients.js'
import { openPeer } from './peers.js'
import { startRouter } from './router.js'

/**
 * A router whose logger records internal errors, plus sessions minding their own business while a
 * test misbehaves: after the bad input, `stillServing()` proves they kept their registration and
 * sessions, and that the router logged no internal error (a bug) on the way.
 */
export async function routerWithBystanders(
  ser: SerializerName = 'json',
  options: RouterOptions = {},
): Promise<{ router: Router; internalErrors: string[]; warnings: string[]; stillServing: () => Promise<void> }> {
  const internalErrors: string[] = []
  const warnings: string[] = []
  const router = await startRouter({
    ...options,
    logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => internalErrors.push(m) },
  })
  const callee = await openPeer('autobahn', router.url, ser)
  const reg = await callee.register('com.example.alive', (inv) => ({ args: ['alive', ...inv.args] }), { invoke: 'roundrobin' })
  const caller = await openPeer('wampy', router.url, ser)
  const stillServing = async (): Promise<void> => {
    expect((await caller.call('com.example.alive', [1])).args).toEqual(['alive', 1])
    expect((await callee.call('wamp.registration.list_callees', [reg])).args).toEqual([[callee.id]])
    expect(internalErrors).toEqual([])
  }
  return { router, internalErrors, warnings, stillServing }
}
