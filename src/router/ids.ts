/**
 * WAMP ids. Global scope ids (sessions, publications) are random in [1, 2^53] as the spec asks;
 * router scope ids (registrations, subscriptions) are random too, so they cannot be guessed or
 * confused across restarts. Session scope ids (request ids the router sends) count up from 1.
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
