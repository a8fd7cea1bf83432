import { ErrorUri } from '../protocol/error-uris.js'
import { RegistrationMeta, SessionMeta } from '../protocol/meta-uris.js'
import {
  ExtensionUri,
  type DrainOptions,
  type DrainProgress,
  type DrainResult,
  type RegistrationSnapshot,
  type RouterSnapshot,
} from '../protocol/extensions.js'
import type { WampClient } from './connection.js'
import { CallError, NotFoundError, UnsupportedError } from './errors.js'
import type { CalleeView, RegistrationView, SessionView, SnapshotView } from './views.js'

export interface RouterCapabilities {
  /** wampctl.* extensions: statistics, cordon, drain, weights, stats ticks. */
  extensions: boolean
  extensionsVersion: number | null
  statsIntervalMs: number | null
  /** What the extensions offer (`rollout`, `directed_call`, …); empty without them. */
  features: string[]
}

/**
 * The router's meta API, typed: the standard `wamp.session|registration|subscription.*` procedures
 * and the wampctl extensions, with the standard API as the fallback where the extensions are
 * missing (Crossbar, Nexus, Bondy, or ours with them off).
 */
export class MetaClient {
  private capabilities: RouterCapabilities | undefined

  constructor(readonly client: WampClient) {}

  private async one<T>(procedure: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}): Promise<T> {
    const r = await this.client.call(procedure, args, kwargs)
    return r.args[0] as T
  }

  /** What the router can do; asked once per connection. */
  async capabilitiesOf(): Promise<RouterCapabilities> {
    if (this.capabilities !== undefined) return this.capabilities
    try {
      const info = await this.one<{ version?: number; stats_interval_ms?: number; features?: string[] }>(ExtensionUri.info)
      this.capabilities = {
        extensions: true,
        extensionsVersion: info?.version ?? null,
        statsIntervalMs: info?.stats_interval_ms ?? null,
        features: Array.isArray(info?.features) ? info.features : [],
      }
    } catch (err) {
      if (!(err instanceof CallError) || err.uri !== ErrorUri.noSuchProcedure) throw err
      this.capabilities = { extensions: false, extensionsVersion: null, statsIntervalMs: null, features: [] }
    }
    return this.capabilities
  }

  async requireExtensions(what: string): Promise<void> {
    const caps = await this.capabilitiesOf()
    if (!caps.extensions) {
      throw new UnsupportedError(
        `${what} needs the wampctl operations extensions, which the router at ${this.client.url} does not serve (it speaks only the standard WAMP meta API)`,
      )
    }
  }

  // ── Sessions ─────────────────────────────────────────────────────────────────────────────

  sessionCount(authroles?: string[]): Promise<number> {
    return this.one(SessionMeta.count, authroles === undefined ? [] : [authroles])
  }

  sessionIds(authroles?: string[]): Promise<number[]> {
    return this.one(SessionMeta.list, authroles === undefined ? [] : [authroles])
  }

  async session(id: number): Promise<SessionView> {
    const d = await this.one<Record<string, unknown>>(SessionMeta.get, [id])
    const view: SessionView = {
      session: d.session as number,
      authid: (d.authid as string | undefined) ?? null,
      authrole: (d.authrole as string | undefined) ?? null,
      authmethod: (d.authmethod as string | undefined) ?? null,
      authprovider: (d.authprovider as string | undefined) ?? null,
      transport: (d.transport as Record<string, unknown> | undefined) ?? null,
    }
    // A cluster node says which node the session is connected to; a single router says nothing.
    if (typeof d.node === 'string') view.node = d.node
    return view
  }

  /** Every session with its details; sessions that leave while we ask are skipped. */
  async sessions(): Promise<SessionView[]> {
    const ids = await this.sessionIds()
    const out = await Promise.all(
      ids.map((id) => this.session(id).catch((e: unknown) => (e instanceof NotFoundError ? undefined : Promise.reject(e)))),
    )
    return out.filter((s): s is SessionView => s !== undefined)
  }

  async killSession(id: number, reason?: string, message?: string): Promise<void> {
    const kw: Record<string, unknown> = {}
    if (reason !== undefined) kw.reason = reason
    if (message !== undefined) kw.message = message
    await this.client.call(SessionMeta.kill, [id], kw)
  }

  // ── Registrations ────────────────────────────────────────────────────────────────────────

  registrationIds(): Promise<{ exact: number[]; prefix: number[]; wildcard: number[] }> {
    return this.one(RegistrationMeta.list)
  }

  /** The registration id for (uri, match), or null (also when a router answers 0 or nothing, as Nexus does). */
  async lookup(uri: string, match: 'exact' | 'prefix' | 'wildcard' = 'exact'): Promise<number | null> {
    const id = await this.one<number | null | undefined>(RegistrationMeta.lookup, [uri, { match }])
    return id === undefined || id === null || id === 0 ? null : id
  }

  /** The registration a call to `uri` would reach, or null. */
  async matchProcedure(uri: string): Promise<number | null> {
    const id = await this.one<number | null | undefined>(RegistrationMeta.match, [uri])
    return id === undefined || id === null || id === 0 ? null : id
  }

  registration(id: number): Promise<{ id: number; uri: string; match: string; invoke: string; created: string }> {
    return this.one(RegistrationMeta.get, [id])
  }

  calleeIds(id: number): Promise<number[]> {
    return this.one(RegistrationMeta.listCallees, [id])
  }

  async removeCallee(registration: number, session: number, reason?: string): Promise<void> {
    await this.client.call(RegistrationMeta.removeCallee, reason === undefined ? [registration, session] : [registration, session, reason])
  }

  /**
   * A registration by id or URI. A URI is looked up as exact, then prefix, then wildcard
   * registration; failing those, the registration a call to it would reach (best match).
   */
  async resolveRegistration(idOrUri: string | number): Promise<number> {
    if (typeof idOrUri === 'number' || /^\d+$/.test(idOrUri)) {
      const id = Number(idOrUri)
      await this.registration(id) // throws NotFound when unknown
      return id
    }
    for (const match of ['exact', 'prefix', 'wildcard'] as const) {
      const id = await this.lookup(idOrUri, match)
      if (id !== null) return id
    }
    const best = await this.matchProcedure(idOrUri)
    if (best !== null) return best
    throw new NotFoundError(`no registration for '${idOrUri}'`)
  }

  // ── Snapshots (extensions, or the standard API) ──────────────────────────────────────────

  async snapshot(): Promise<SnapshotView> {
    const caps = await this.capabilitiesOf()
    if (caps.extensions) {
      const s = await this.one<RouterSnapshot>(ExtensionUri.snapshot)
      const view: SnapshotView = { at: s.at, realm: s.realm, extensions: true, registrations: s.registrations.map(fromExtension) }
      if (Array.isArray(s.missing_nodes) && s.missing_nodes.length > 0) view.missing_nodes = s.missing_nodes
      return view
    }
    const ids = await this.registrationIds()
    const all = [...(ids.exact ?? []), ...(ids.prefix ?? []), ...(ids.wildcard ?? [])]
    const regs = await Promise.all(
      all.map((id) => this.standardRegistration(id).catch((e: unknown) => (e instanceof NotFoundError ? undefined : Promise.reject(e)))),
    )
    return {
      at: new Date().toISOString(),
      realm: this.client.realm,
      extensions: false,
      registrations: regs.filter((r): r is RegistrationView => r !== undefined),
    }
  }

  async describe(id: number): Promise<RegistrationView> {
    const caps = await this.capabilitiesOf()
    if (caps.extensions) return fromExtension(await this.one<RegistrationSnapshot>(ExtensionUri.describe, [id]))
    return this.standardRegistration(id)
  }

  private async standardRegistration(id: number): Promise<RegistrationView> {
    const [reg, callees] = await Promise.all([this.registration(id), this.calleeIds(id)])
    const views = await Promise.all(
      callees.map(async (session): Promise<CalleeView> => {
        const s = await this.session(session).catch(() => undefined)
        return {
          session,
          authid: s?.authid ?? null,
          authrole: s?.authrole ?? null,
          state: 'unknown',
          weight: null,
          calls: null,
          errors: null,
          inflight: null,
          p50_ms: null,
          p99_ms: null,
          last_call_at: null,
          recent: null,
        }
      }),
    )
    return {
      id: reg.id ?? id,
      uri: reg.uri,
      match: reg.match ?? 'exact',
      invoke: reg.invoke ?? 'single',
      created: reg.created ?? null,
      queued: null,
      callees: views,
    }
  }

  // ── Operations (extensions only) ─────────────────────────────────────────────────────────

  async cordon(session: number, registration?: number): Promise<{ registrations: number[] }> {
    await this.requireExtensions('cordon')
    return this.one(ExtensionUri.cordon, registration === undefined ? [session] : [session, registration])
  }

  async uncordon(session: number, registration?: number): Promise<{ registrations: number[] }> {
    await this.requireExtensions('uncordon')
    return this.one(ExtensionUri.uncordon, registration === undefined ? [session] : [session, registration])
  }

  async setWeight(registration: number, session: number, weight: number): Promise<void> {
    await this.requireExtensions('traffic weights')
    await this.client.call(ExtensionUri.setWeight, [registration, session, weight])
  }

  /** Drain; `onProgress` sees the in-flight count fall. Rejects with CallError(wampctl.error.drain_timeout) on timeout. */
  async drain(
    session: number,
    registration: number | undefined,
    options: DrainOptions,
    onProgress?: (p: DrainProgress) => void,
  ): Promise<DrainResult> {
    await this.requireExtensions('drain')
    const r = await this.client.callWithProgress(ExtensionUri.drain, [session, registration ?? null, options], {}, (args) =>
      onProgress?.(args[0] as DrainProgress),
    )
    return r.args[0] as DrainResult
  }
}

function fromExtension(r: RegistrationSnapshot & { missing_nodes?: string[] }): RegistrationView {
  return {
    id: r.id,
    uri: r.uri,
    match: r.match,
    invoke: r.invoke,
    created: r.created,
    queued: typeof r.queued === 'number' ? r.queued : null,
    callees: r.callees.map((c) => ({ ...c, recent: c.recent ?? null })),
    // a cluster node whose part of the statistics did not come in time (describe)
    ...(Array.isArray(r.missing_nodes) && r.missing_nodes.length > 0 ? { missing_nodes: r.missing_nodes } : {}),
  }
}
