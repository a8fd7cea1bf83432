import { WampClient } from '../../client/connection.js'

/** One demo callee instance: its own session, registered on one procedure. */
export interface DemoInstance {
  uri: string
  invoke: 'roundrobin' | 'first' | 'random'
  authid: string
  session: number
}

export interface DemoServices {
  instances: DemoInstance[]
  /** Close every instance's session (GOODBYE). */
  stop(): Promise<void>
}

interface ServiceSpec {
  uri: string
  invoke: DemoInstance['invoke']
  authids: string[]
  handler: (args: unknown[]) => unknown
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const jitter = (min: number, max: number): number => min + Math.random() * (max - min)

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0))

/** What the demo serves: a roundrobin pool of 3, a first-with-standby pair, a random pair. */
export const DEMO_SERVICES: ServiceSpec[] = [
  {
    uri: 'demo.add',
    invoke: 'roundrobin',
    authids: ['demo-add-1', 'demo-add-2', 'demo-add-3'],
    handler: async (args) => {
      await delay(jitter(2, 25))
      return num(args[0]) + num(args[1])
    },
  },
  {
    uri: 'demo.lookup',
    invoke: 'first',
    authids: ['demo-lookup-primary', 'demo-lookup-standby'],
    handler: async (args) => {
      await delay(jitter(1, 10))
      return { key: String(args[0] ?? ''), value: `value-of-${String(args[0] ?? '')}` }
    },
  },
  {
    uri: 'demo.quote',
    invoke: 'random',
    authids: ['demo-quote-1', 'demo-quote-2'],
    handler: async (args) => {
      await delay(jitter(5, 40))
      // A flaky upstream: about 2 % of quotes fail, so the errors column moves too.
      if (Math.random() < 0.02) throw new Error('quote source unavailable')
      return { symbol: String(args[0] ?? 'WAMP'), price: Number((100 + Math.random() * 5).toFixed(2)) }
    },
  },
]

/** Start every demo instance as a separate anonymous session with a telling authid. */
export async function startDemoServices(url: string, realm: string, specs: ServiceSpec[] = DEMO_SERVICES): Promise<DemoServices> {
  const clients: WampClient[] = []
  const instances: DemoInstance[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
  }
  try {
    for (const spec of specs) {
      for (const authid of spec.authids) {
        const client = await WampClient.connect({ url, realm, authid })
        clients.push(client)
        await client.register(spec.uri, (args) => spec.handler(args), { invoke: spec.invoke })
        instances.push({ uri: spec.uri, invoke: spec.invoke, authid, session: client.sessionId })
      }
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { instances, stop }
}
