import { afterEach } from 'vitest'
import { Router } from '../../src/router/router.js'
import { closeClients } from './clients.js'
import type { RouterOptions } from '../../src/router/config.js'

const started: Router[] = []

/** A real router on 127.0.0.1, port 0; closed after the test that started it. */
export async function startRouter(options: RouterOptions = {}): Promise<Router> {
  const router = new Router(options)
  await router.listen({ host: '127.0.0.1', port: 0 })
  started.push(router)
  return router
}

afterEach(async () => {
  await closeClients()
  await Promise.all(started.splice(0).map((r) => r.close()))
})
