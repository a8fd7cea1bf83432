import { SubscriptionMeta } from '../protocol/meta-uris.js'
import type { MetaClient } from '../client/meta-client.js'
import { NotFoundError } from '../client/errors.js'
import type { SessionView } from '../client/views.js'

/** Above this many registrations + subscriptions, per-session counts are not "cheap": left unknown. */
const MAX_COUNTED = 2000

/**
 * How a session is connected, the same shape in `sessions list` and `sessions show` and on every
 * router (Crossbar's transport details carry more: only these three are kept).
 */
export interface TransportInfo {
  /** e.g. "websocket", "rawsocket". */
  type: string | null
  /** Serializer / subprotocol, e.g. "wamp.2.json". */
  protocol: string | null
  /** Remote address as the router saw it, e.g. "tcp:127.0.0.1:53412". */
  peer: string | null
}

/** One row of `wampctl sessions list` and its `--json` element. */
export interface SessionRow {
  session: number
  /** The cluster node it is connected to; absent on a single router. */
  node?: string
  authid: string | null
  authrole: string | null
  authmethod: string | null
  transport: TransportInfo | null
  /** Procedures this session is a callee of; null when not cheaply known. */
  registrations: number | null
  /** Subscriptions of this session; null when not cheaply known. */
  subscriptions: number | null
}

/** `wampctl sessions show`: the session's details and what it serves. */
export interface SessionDetail {
  session: number
  /** The cluster node it is connected to; absent on a single router. */
  node?: string
  authid: string | null
  authrole: string | null
  authmethod: string | null
  authprovider: string | null
  transport: TransportInfo | null
  registrations: SessionRegistration[]
  subscriptions: Array<{ id: number; uri: string; match: string }>
}

/** A registration the session serves, with this callee's state and statistics (null when unknown). */
export interface SessionRegistration {
  id: number
  uri: string
  match: string
  invoke: string
  state: string | null
  weight: number | null
  calls: number | null
  inflight: number | null
  errors: number | null
  p50_ms: number | null
  p99_ms: number | null
}

type IdsByMatch = { exact?: number[]; prefix?: number[]; wildcard?: number[] }

function allIds(ids: IdsByMatch | null | undefined): number[] {
  return [...(ids?.exact ?? []), ...(ids?.prefix ?? []), ...(ids?.wildcard ?? [])]
}

/** A call whose "not found" (the object left meanwhile) reads as undefined. */
function unlessGone<T>(p: Promise<T>): Promise<T | undefined> {
  return p.catch((e: unknown) => (e instanceof NotFoundError ? undefined : Promise.reject(e)))
}

async function first<T>(meta: MetaClient, procedure: string, args: unknown[]): Promise<T> {
  return (await meta.client.call(procedure, args)).args[0] as T
}

/** session id → ids of the registrations it is a callee of (one snapshot call with the extensions). */
async function calleeIndex(meta: MetaClient): Promise<Map<number, number[]> | null> {
  const index = new Map<number, number[]>()
  const add = (session: number, id: number): void => {
    const l = index.get(session)
    if (l === undefined) index.set(session, [id])
    else l.push(id)
  }
  if ((await meta.capabilitiesOf()).extensions) {
    const snap = await meta.snapshot()
    for (const r of snap.registrations) for (const c of r.callees) add(c.session, r.id)
    return index
  }
  const ids = allIds(await meta.registrationIds())
  if (ids.length > MAX_COUNTED) return null
  const callees = await Promise.all(ids.map((id) => unlessGone(meta.calleeIds(id))))
  ids.forEach((id, i) => {
    for (const s of callees[i] ?? []) add(s, id)
  })
  return index
}

/** session id → ids of its subscriptions. */
async function subscriberIndex(meta: MetaClient, cap = MAX_COUNTED): Promise<Map<number, number[]> | null> {
  const ids = allIds(await first<IdsByMatch>(meta, SubscriptionMeta.list, []))
  if (ids.length > cap) return null
  const subscribers = await Promise.all(ids.map((id) => unlessGone(first<number[]>(meta, SubscriptionMeta.listSubscribers, [id]))))
  const index = new Map<number, number[]>()
  ids.forEach((id, i) => {
    for (const s of subscribers[i] ?? []) {
      const l = index.get(s)
      if (l === undefined) index.set(s, [id])
      else l.push(id)
    }
  })
  return index
}

function transportText(t: Record<string, unknown> | null, key: string): string | null {
  const v = t?.[key]
  return typeof v === 'string' && v.length > 0 ? v : null
}

/** The router's transport details as TransportInfo; null when it gives none. */
export function transportInfo(t: Record<string, unknown> | null): TransportInfo | null {
  if (t === null) return null
  return { type: transportText(t, 'type'), protocol: transportText(t, 'protocol'), peer: transportText(t, 'peer') }
}

/** Every session but `exclude` (the CLI's own), sorted by id, with its registration and subscription counts. */
export async function listSessions(meta: MetaClient, exclude?: number): Promise<SessionRow[]> {
  const [sessions, callees, subscribers] = await Promise.all([meta.sessions(), calleeIndex(meta), subscriberIndex(meta)])
  return sessions
    .filter((s) => s.session !== exclude)
    .sort((a, b) => a.session - b.session)
    .map((s: SessionView) => ({
      session: s.session,
      ...(s.node !== undefined ? { node: s.node } : {}),
      authid: s.authid,
      authrole: s.authrole,
      authmethod: s.authmethod,
      transport: transportInfo(s.transport),
      registrations: callees === null ? null : (callees.get(s.session)?.length ?? 0),
      subscriptions: subscribers === null ? null : (subscribers.get(s.session)?.length ?? 0),
    }))
}

/** One session (as resolveSession found it): its details, the registrations it serves and its subscriptions. */
export async function describeSession(meta: MetaClient, s: SessionView): Promise<SessionDetail> {
  const id = s.session
  const registrations: SessionRegistration[] = []
  if ((await meta.capabilitiesOf()).extensions) {
    const snap = await meta.snapshot()
    for (const r of snap.registrations) {
      const c = r.callees.find((x) => x.session === id)
      if (c === undefined) continue
      registrations.push({
        id: r.id,
        uri: r.uri,
        match: r.match,
        invoke: r.invoke,
        state: c.state === 'unknown' ? null : c.state,
        weight: c.weight,
        calls: c.calls,
        inflight: c.inflight,
        errors: c.errors,
        p50_ms: c.p50_ms,
        p99_ms: c.p99_ms,
      })
    }
  } else {
    const ids = allIds(await meta.registrationIds())
    const callees = await Promise.all(ids.map((rid) => unlessGone(meta.calleeIds(rid))))
    const mine = ids.filter((_, i) => (callees[i] ?? []).includes(id))
    const regs = await Promise.all(mine.map((rid) => unlessGone(meta.registration(rid))))
    for (const r of regs) {
      if (r === undefined) continue
      registrations.push({
        id: r.id,
        uri: r.uri,
        match: r.match,
        invoke: r.invoke,
        state: null,
        weight: null,
        calls: null,
        inflight: null,
        errors: null,
        p50_ms: null,
        p99_ms: null,
      })
    }
  }
  registrations.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.id - b.id))
  const subs = (await subscriberIndex(meta, Infinity))?.get(id) ?? []
  const details = await Promise.all(
    subs.map((sid) => unlessGone(first<{ id: number; uri: string; match: string }>(meta, SubscriptionMeta.get, [sid]))),
  )
  const subscriptions = details
    .filter((d): d is { id: number; uri: string; match: string } => d !== undefined)
    .map((d) => ({ id: d.id, uri: d.uri, match: d.match ?? 'exact' }))
    .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : a.id - b.id))
  return {
    session: s.session,
    ...(s.node !== undefined ? { node: s.node } : {}),
    authid: s.authid,
    authrole: s.authrole,
    authmethod: s.authmethod,
    authprovider: s.authprovider,
    transport: transportInfo(s.transport),
    registrations,
    subscriptions,
  }
}
