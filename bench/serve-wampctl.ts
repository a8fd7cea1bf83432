/**
 * Router child for the bench: `node dist/bench/serve-wampctl.js '<ServeOptions JSON>'` with an IPC
 * channel. Listens on 127.0.0.1 port 0, reports `{type: 'ready', port, path}`, answers
 * `{type: 'usage'}` with its own CPU and RSS, and exits when told to stop, on SIGTERM/SIGINT, or
 * when its parent goes away.
 */
import { Router } from '../src/router/router.js'
import { serveChild } from './child-ipc.js'

interface ServeOptions {
  extensions: boolean
  callStats: boolean
  /** RouterOptions.maxEventQueueBytes (bench/overload.ts); the router's default when absent. */
  maxEventQueueBytes?: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as Partial<ServeOptions>
const router = new Router({
  realms: ['realm1'],
  extensions: options.extensions ?? true,
  callStats: options.callStats ?? true,
  maxEventQueueBytes: options.maxEventQueueBytes,
})

serveChild({
  listen: async () => {
    await router.listen({ host: '127.0.0.1', port: 0 })
    return { port: router.port, path: router.path }
  },
  close: () => router.close(),
  eventsDropped: () => [...router.counters.eventsDropped.values()].reduce((a, b) => a + b, 0),
})
