import type { ClientKind, Dict } from './peers.js'

/** REGISTER options as each client can send them (wampy passes only `_`-prefixed custom options). */
export function routingOptions(kind: ClientKind, invoke: string, concurrency?: number): Dict {
  const o: Dict = {}
  if (kind === 'autobahn' || invoke !== 'least_loaded') o.invoke = invoke
  else o._invoke = invoke
  if (concurrency !== undefined) o[kind === 'autobahn' ? 'concurrency' : '_concurrency'] = concurrency
  return o
}
