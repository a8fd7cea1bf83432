import type { MetaClient } from '../client/meta-client.js'
import { NotFoundError, UsageError } from '../client/errors.js'
import type { SessionView } from '../client/views.js'

/**
 * The session an operator names: a session id, or an authid that names exactly one session
 * (other than our own). Unknown → NotFoundError (exit 3); an authid shared by several sessions →
 * UsageError (exit 2) listing them, so the operator can pick an id.
 */
export async function resolveSession(meta: MetaClient, text: string, self?: number): Promise<SessionView> {
  const name = text.trim()
  if (/^\d+$/.test(name)) {
    const id = Number(name)
    try {
      return await meta.session(id)
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`no session ${id} on realm '${meta.client.realm}'`)
      throw err
    }
  }
  const candidates = (await meta.sessions()).filter((s) => s.authid === name && s.session !== self)
  if (candidates.length === 0) throw new NotFoundError(`no session with id or authid '${name}' on realm '${meta.client.realm}'`)
  if (candidates.length > 1) {
    const list = candidates
      .sort((a, b) => a.session - b.session)
      .map((s) => `${s.session}${s.authrole === null ? '' : ` (${s.authrole})`}`)
      .join(', ')
    throw new UsageError(`authid '${name}' names ${candidates.length} sessions: ${list}; give a session id`)
  }
  return candidates[0]!
}
