import { describe, expect, it } from 'vitest'
// The package's public entry, as an application embedding the router imports it (built dist/).
import { ErrorUri, Router } from 'wampctl'
import { autobahnSession } from './support/clients.js'

describe("import { Router } from 'wampctl'", () => {
  it('embeds the router: listen on port 0, serve a shared registration, close with GOODBYE system_shutdown', async () => {
    const router = await new Router({ realms: ['realm1'] }).listen({ host: '127.0.0.1', port: 0 })
    try {
      expect(router.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/)
      const callee = await autobahnSession(router.url)
      await callee.register('com.example.ping', () => 'pong', { invoke: 'roundrobin' })
      const caller = await autobahnSession(router.url, 'cbor')
      expect(await caller.call('com.example.ping')).toBe('pong')
      const closed = new Promise<string>((resolve) => {
        const autobahnOwn = callee.onleave // the connection's own handler: keep it running
        callee.onleave = (reason, details) => {
          resolve(reason)
          autobahnOwn?.call(callee, reason, details)
        }
      })
      await router.close()
      expect(await closed).toBe('wamp.close.system_shutdown')
      expect(ErrorUri.noAvailableCallee).toBe('wamp.error.no_available_callee')
    } finally {
      await router.close()
    }
  })
})
