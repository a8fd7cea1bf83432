import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { NotFoundError, UsageError } from '../client/errors.js'

/**
 * Contexts, as kubectl has them: named (URL, realm, credentials) kept in the config dir, one of
 * them current. `wampctl router start` writes one, so the CLI on the same machine needs no flags.
 */
export interface Context {
  url: string
  realm: string
  authid?: string
  /** WAMP-CRA secret. */
  secret?: string
  /** Ticket (used when there is no secret). */
  ticket?: string
}

export interface ContextFile {
  current?: string
  contexts: Record<string, Context>
}

export const DEFAULT_URL = 'ws://127.0.0.1:8080/ws'
export const DEFAULT_REALM = 'realm1'

/** WAMPCTL_CONFIG_DIR, else $XDG_CONFIG_HOME/wampctl, else ~/.config/wampctl. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WAMPCTL_CONFIG_DIR) return env.WAMPCTL_CONFIG_DIR
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'wampctl')
  return join(homedir(), '.config', 'wampctl')
}

export function contextsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'contexts.json')
}

export function readContexts(env: NodeJS.ProcessEnv = process.env): ContextFile {
  let text: string
  try {
    text = readFileSync(contextsPath(env), 'utf8')
  } catch {
    return { contexts: {} }
  }
  try {
    const parsed = JSON.parse(text) as ContextFile
    return { current: parsed.current, contexts: parsed.contexts ?? {} }
  } catch {
    throw new UsageError(`${contextsPath(env)} is not valid JSON; fix or delete it`)
  }
}

/** Write the contexts file atomically, mode 0600 (it holds secrets). Returns its path. */
function writeContexts(file: ContextFile, env: NodeJS.ProcessEnv): string {
  mkdirSync(configDir(env), { recursive: true, mode: 0o700 })
  const path = contextsPath(env)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
  return path
}

/** Save a context and make it current. Returns the file's path and the context that was current before. */
export function saveContext(
  name: string,
  context: Context,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; previous: string | undefined } {
  const file = readContexts(env)
  const previous = file.current
  file.contexts[name] = context
  file.current = name
  return { path: writeContexts(file, env), previous }
}

/** Remove a context (when the router that wrote it stops); the current one is unset if it was this. */
export function removeContext(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = readContexts(env)
  if (!(name in file.contexts)) return
  delete file.contexts[name]
  if (file.current === name) file.current = undefined
  writeContexts(file, env)
}

/** Make `name` the current context (`wampctl context use`); unknown → NotFoundError (exit 3) naming the known ones. */
export function useContext(name: string, env: NodeJS.ProcessEnv = process.env): { previous: string | undefined } {
  const file = readContexts(env)
  if (!(name in file.contexts)) throw unknownContext(name, file, env)
  const previous = file.current
  file.current = name
  writeContexts(file, env)
  return { previous }
}

export function unknownContext(name: string, file: ContextFile, env: NodeJS.ProcessEnv = process.env): NotFoundError {
  const known = Object.keys(file.contexts).sort()
  return new NotFoundError(
    `no context '${name}' in ${contextsPath(env)}${known.length > 0 ? ` (known: ${known.join(', ')})` : ' (none yet: wampctl router start writes one)'}`,
  )
}

export interface ConnectionFlags {
  url?: string
  realm?: string
  authid?: string
  secret?: string
  ticket?: string
  context?: string
}

/**
 * Flags and environment override the context field by field (kubectl's rule): `--url` alone
 * keeps the context's realm and credentials.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Context {
  const file = readContexts(env)
  const name = flags.context ?? file.current
  let ctx: Context | undefined
  if (name !== undefined) {
    ctx = file.contexts[name]
    if (ctx === undefined && flags.context !== undefined) {
      const known = Object.keys(file.contexts)
      throw new UsageError(
        `no context '${flags.context}' in ${contextsPath(env)}${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`,
      )
    }
  }
  const out: Context = {
    url: flags.url ?? ctx?.url ?? DEFAULT_URL,
    realm: flags.realm ?? ctx?.realm ?? DEFAULT_REALM,
  }
  const authid = flags.authid ?? ctx?.authid
  const secret = flags.secret ?? (flags.ticket === undefined ? ctx?.secret : undefined)
  const ticket = flags.ticket ?? (flags.secret === undefined ? ctx?.ticket : undefined)
  if (authid !== undefined) out.authid = authid
  if (secret !== undefined) out.secret = secret
  if (ticket !== undefined) out.ticket = ticket
  return out
}

/** What happened to the current context: an operator must know when `wampctl …` now means this router. */
export function contextSwitchLine(name: string, path: string, previous: string | undefined): string {
  if (previous === undefined) return `context '${name}' written to ${path}; it is now the current context`
  if (previous === name) return `context '${name}' written to ${path} (still the current context)`
  return `context '${name}' written to ${path}; switched the current context from '${previous}' to '${name}' ('wampctl context use ${previous}' switches back)`
}

/** A context as `wampctl context list|show` print it: never a secret, only how it authenticates. */
export interface ContextRow {
  name: string
  current: boolean
  url: string
  realm: string
  authid: string | null
  /** wampcra, ticket or anonymous. */
  auth: 'wampcra' | 'ticket' | 'anonymous'
}

export function contextRows(file: ContextFile): ContextRow[] {
  return Object.entries(file.contexts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({
      name,
      current: file.current === name,
      url: c.url,
      realm: c.realm,
      authid: c.authid ?? null,
      auth: c.secret !== undefined ? 'wampcra' : c.ticket !== undefined ? 'ticket' : 'anonymous',
    }))
}
