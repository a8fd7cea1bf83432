import { WampClient } from '../../client/connection.js'
import { removeContext } from '../../cli/context.js'
import { serve } from '../../cli/serve.js'
import { startLoad, type LoadMix, type RunningLoad } from './load.js'
import { startDemoServices, type DemoInstance, type DemoServices } from './services.js'

export interface DemoOptions {
  host?: string
  port: number
  /** Calls per second of the demo load. */
  rate: number
  /** Name of the CLI context written for the demo router. Default "demo". */
  contextName?: string
}

export interface RunningDemo {
  url: string
  realm: string
  admin: { authid: string; secret: string }
  contextPath: string | undefined
  instances: DemoInstance[]
  load: RunningLoad
  /** Stop the load, close the services (GOODBYE), close the router (GOODBYE to everyone left), drop the context. */
  stop(): Promise<void>
}

const SYMBOLS = ['WAMP', 'ACME', 'INIT', 'ZETA']

export const DEMO_MIX: LoadMix[] = [
  { uri: 'demo.add', weight: 6, args: () => [Math.floor(Math.random() * 100), Math.floor(Math.random() * 100)] },
  { uri: 'demo.lookup', weight: 2, args: () => [`user-${Math.floor(Math.random() * 1000)}`] },
  { uri: 'demo.quote', weight: 2, args: () => [SYMBOLS[Math.floor(Math.random() * SYMBOLS.length)]] },
]

/**
 * `wampctl demo`: the embedded router (with an admin context for the CLI), the demo services as
 * separate sessions, and a steady load from one caller session.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const contextName = options.contextName ?? 'demo'
  const { router, admin, contextPath } = await serve({
    host: options.host ?? '127.0.0.1',
    port: options.port,
    realms: ['realm1'],
    context: contextName,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  })
  const realm = 'realm1'
  let services: DemoServices | undefined
  let caller: WampClient | undefined
  try {
    services = await startDemoServices(router.url, realm)
    caller = await WampClient.connect({ url: router.url, realm, authid: 'demo-load' })
  } catch (err) {
    await services?.stop()
    await closeRouter(router, contextPath === undefined ? undefined : contextName)
    throw err
  }
  const load = startLoad(caller, { rate: options.rate, mix: DEMO_MIX })
  let stopping: Promise<void> | undefined
  const callerSession = caller
  const svc = services
  return {
    url: router.url,
    realm,
    admin,
    contextPath,
    instances: services.instances,
    load,
    stop() {
      stopping ??= (async () => {
        await load.stop()
        await callerSession.close()
        await svc.stop()
        await closeRouter(router, contextPath === undefined ? undefined : contextName)
      })()
      return stopping
    },
  }
}

type ServedRouter = Awaited<ReturnType<typeof serve>>['router']

async function closeRouter(router: ServedRouter, contextName: string | undefined): Promise<void> {
  await router.close()
  if (contextName !== undefined) {
    try {
      removeContext(contextName)
    } catch {
      /* the config dir went away */
    }
  }
}

/** What the demo prints: where it runs and what to try next. */
export function nextSteps(demo: Pick<RunningDemo, 'url' | 'instances' | 'contextPath'>, rate: number): string[] {
  const add = demo.instances.filter((i) => i.uri === 'demo.add')
  const lines = [
    `wampctl demo: router listening on ${demo.url} (realm realm1)`,
    `  services: ${summarize(demo.instances)}`,
    `  load: ${rate} calls/s from session 'demo-load'`,
  ]
  if (demo.contextPath !== undefined)
    lines.push(`  context 'demo' written to ${demo.contextPath}: wampctl in another terminal needs no flags`)
  lines.push(
    '',
    'try, in another terminal:',
    '  wampctl top',
    '  wampctl dashboard',
    '  wampctl registrations show demo.add',
    `  wampctl drain ${add[0]?.session ?? '<session>'} --uri demo.add      (demo.add instances: ${add.map((i) => `${i.session} ${i.authid}`).join(', ')})`,
    '',
    'Ctrl-C stops everything.',
  )
  return lines
}

function summarize(instances: DemoInstance[]): string {
  const by = new Map<string, DemoInstance[]>()
  for (const i of instances) by.set(i.uri, [...(by.get(i.uri) ?? []), i])
  return [...by.entries()].map(([uri, is]) => `${uri} (${is[0]!.invoke}, ${is.length} instances)`).join(', ')
}
