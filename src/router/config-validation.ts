import { ACTIONS } from './authorizer.js'
import { RouterConfigError } from './errors.js'
import { parseListenAddress } from './listen-address.js'

/**
 * Checks a router configuration read from a file, so a typo gets one clear line naming the
 * field ("realms[0].roles.ops.permissions[1].allow: …") instead of a failure at first use.
 */
export function validateConfig(value: unknown): void {
  const cfg = dict(value, 'config')
  optional(cfg, 'host', 'string')
  optional(cfg, 'path', 'string')
  optional(cfg, 'port', 'number')
  optional(cfg, 'maxMessageSize', 'number')
  optional(cfg, 'maxHandshakeMessageSize', 'number')
  optional(cfg, 'maxNestingDepth', 'number')
  optional(cfg, 'maxMessageElements', 'number')
  optional(cfg, 'maxMessageMapEntries', 'number')
  optional(cfg, 'maxBufferedBytes', 'number')
  optional(cfg, 'statsIntervalMs', 'number')
  optional(cfg, 'strictUris', 'boolean')
  optional(cfg, 'extensions', 'boolean')
  optional(cfg, 'callStats', 'boolean')
  optional(cfg, 'shutdownGraceMs', 'number')
  if (cfg.admin !== undefined) {
    const admin = dict(cfg.admin, 'admin')
    optional(admin, 'host', 'string', 'admin')
    optional(admin, 'port', 'number', 'admin')
    optional(admin, 'token', 'string', 'admin')
    optional(admin, 'maxCalleeSeries', 'number', 'admin')
  }
  optional(cfg, 'handshakeTimeoutMs', 'number')
  optional(cfg, 'maxEventQueueBytes', 'number')
  optional(cfg, 'invocationDeadlineMs', 'number')
  if (cfg.callQueue !== undefined) {
    const q = dict(cfg.callQueue, 'callQueue')
    optional(q, 'size', 'number', 'callQueue')
    optional(q, 'maxWaitMs', 'number', 'callQueue')
  }
  liveness(cfg, '')
  if (cfg.cluster !== undefined) {
    const c = dict(cfg.cluster, 'cluster')
    if (!(typeof c.servers === 'string' || (Array.isArray(c.servers) && c.servers.every((x) => typeof x === 'string'))))
      fail('cluster.servers', 'must be a NATS URL or a list of them')
    optional(c, 'node', 'string', 'cluster')
    for (const k of ['name', 'user', 'pass', 'token', 'nkeySeed', 'nkeyFile', 'credsFile', 'ca']) optional(c, k, 'string', 'cluster')
    for (const k of ['heartbeatMs', 'nodeTimeoutMs', 'replicas']) optional(c, k, 'number', 'cluster')
  }
  if (cfg.rawsocket !== undefined) {
    if (!Array.isArray(cfg.rawsocket) || !cfg.rawsocket.every((a) => typeof a === 'string'))
      fail('rawsocket', 'must be a list of listen addresses ("HOST:PORT" or "unix:/PATH")')
    cfg.rawsocket.forEach((a: string, i) => {
      try {
        parseListenAddress(a)
      } catch (err) {
        fail(`rawsocket[${i}]`, (err as Error).message.replace(/^listen address /, 'is not a listen address: '))
      }
    })
  }
  if (cfg.tls !== undefined) {
    const tls = dict(cfg.tls, 'tls')
    for (const key of ['cert', 'key'])
      if (typeof tls[key] !== 'string' || tls[key].length === 0) fail(`tls.${key}`, 'must be the path of a PEM file')
    optional(tls, 'ca', 'string', 'tls')
  }
  if (cfg.authThrottle !== undefined) {
    const t = dict(cfg.authThrottle, 'authThrottle')
    for (const k of ['maxFailures', 'maxFailuresPerAddress', 'windowMs', 'lockoutMs']) optional(t, k, 'number', 'authThrottle')
  }
  if (cfg.realms === undefined) return
  if (!Array.isArray(cfg.realms) || cfg.realms.length === 0) fail('realms', 'must be a non-empty list')
  cfg.realms.forEach((r, i) => {
    const at = `realms[${i}]`
    if (typeof r === 'string') return
    const realm = dict(r, at)
    if (typeof realm.name !== 'string' || realm.name.length === 0) fail(`${at}.name`, 'must be a non-empty string')
    optional(realm, 'invocationDeadlineMs', 'number', at)
    liveness(realm, at)
    if (realm.roles !== undefined) {
      for (const [role, rc] of Object.entries(dict(realm.roles, `${at}.roles`))) {
        const rat = `${at}.roles.${role}`
        const roleCfg = dict(rc, rat)
        optional(roleCfg, 'admin', 'boolean', rat)
        if (roleCfg.permissions === undefined) continue
        if (!Array.isArray(roleCfg.permissions)) fail(`${rat}.permissions`, 'must be a list')
        roleCfg.permissions.forEach((p, j) => {
          const pat = `${rat}.permissions[${j}]`
          const perm = dict(p, pat)
          if (typeof perm.uri !== 'string') fail(`${pat}.uri`, 'must be a string')
          if (perm.match !== undefined && !['exact', 'prefix', 'wildcard'].includes(perm.match as string))
            fail(`${pat}.match`, 'must be exact, prefix or wildcard')
          if (!Array.isArray(perm.allow) || !perm.allow.every((a) => (ACTIONS as readonly unknown[]).includes(a))) {
            fail(`${pat}.allow`, `must be a list of ${ACTIONS.join(', ')}`)
          }
        })
      }
    }
    if (realm.callQueue !== undefined) {
      const q = dict(realm.callQueue, `${at}.callQueue`)
      optional(q, 'size', 'number', `${at}.callQueue`)
      optional(q, 'maxWaitMs', 'number', `${at}.callQueue`)
    }
    if (realm.auth !== undefined) {
      const auth = dict(realm.auth, `${at}.auth`)
      if (auth.anonymous !== undefined && auth.anonymous !== false) {
        const a = dict(auth.anonymous, `${at}.auth.anonymous`)
        if (typeof a.role !== 'string') fail(`${at}.auth.anonymous.role`, 'must be a string')
        if (a.authid !== undefined && a.authid !== 'assigned' && a.authid !== 'claimed')
          fail(`${at}.auth.anonymous.authid`, "must be 'assigned' or 'claimed'")
      }
      for (const method of ['ticket', 'wampcra'] as const) {
        if (auth[method] === undefined) continue
        const key = method === 'ticket' ? 'ticket' : 'secret'
        for (const [authid, pc] of Object.entries(dict(auth[method], `${at}.auth.${method}`))) {
          const pat = `${at}.auth.${method}.${authid}`
          const principal = dict(pc, pat)
          if (typeof principal[key] !== 'string' || (principal[key] as string).length === 0)
            fail(`${pat}.${key}`, 'must be a non-empty string')
          if (typeof principal.role !== 'string') fail(`${pat}.role`, 'must be a string')
        }
      }
      if (auth.cryptosign !== undefined) {
        for (const [authid, pc] of Object.entries(dict(auth.cryptosign, `${at}.auth.cryptosign`))) {
          const pat = `${at}.auth.cryptosign.${authid}`
          const principal = dict(pc, pat)
          if (typeof principal.role !== 'string') fail(`${pat}.role`, 'must be a string')
          const keys = principal.pubkeys
          if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && /^[0-9a-fA-F]{64}$/.test(k)))
            fail(`${pat}.pubkeys`, 'must be a non-empty list of Ed25519 public keys (64 hex digits each)')
        }
      }
    }
  })
}

function liveness(o: Record<string, unknown>, at: string): void {
  if (o.liveness === undefined) return
  const lat = at === '' ? 'liveness' : `${at}.liveness`
  const l = dict(o.liveness, lat)
  optional(l, 'pingIntervalMs', 'number', lat)
  optional(l, 'pongTimeoutMs', 'number', lat)
}

function dict(v: unknown, at: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, 'must be an object')
  return v as Record<string, unknown>
}

function optional(o: Record<string, unknown>, key: string, type: 'string' | 'number' | 'boolean', at = ''): void {
  if (o[key] !== undefined && typeof o[key] !== type) fail(at === '' ? key : `${at}.${key}`, `must be a ${type}`)
}

function fail(at: string, what: string): never {
  throw new RouterConfigError(`invalid config: ${at} ${what}`)
}
