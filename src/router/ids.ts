/**
 * WAMP ids (spec, "IDs"). Global scope ids (sessions, publications) are random in [1, 2^53], as
 * the spec requires. Router scope ids (registrations, subscriptions) the spec leaves to the
 * router: they count up from 1, never reused while the process lives. Small ids keep the hot
 * messages (INVOCATION, RESULT) free of integers beyond 32 bits, which binary serializers would
 * otherwise have to widen on every call. Session scope ids (request ids the router sends) count
 * up from 1 per session (session.ts).
 */
const MAX = 2 ** 53

export function randomId(): number {
  return Math.floor(Math.random() * MAX) + 1
}

/** A random id not already a key of `taken`. */
export function freshId(taken: { has(id: number): boolean }): number {
  let id = randomId()
  while (taken.has(id)) id = randomId()
  return id
}

let routerScope = 0

/** The next router scope id: unique within this process, so across every router and realm in it. */
export function nextRouterScopeId(): number {
  routerScope = routerScope >= MAX ? 1 : routerScope + 1
  return routerScope
}
