import type { MetaClient } from '../client/meta-client.js'
import { NotFoundError } from '../client/errors.js'
import type { RegistrationView } from '../client/views.js'

/**
 * The registrations an operation on a callee touches: the one `uri` names (a URI or a
 * registration id), or every registration `session` is a callee of. Each comes with all its
 * callees (state, weight, in flight where the router tells them), as one snapshot.
 * The session not being a callee there (or anywhere) → NotFoundError (exit 3).
 */
export async function calleeRegistrations(meta: MetaClient, session: number, uri?: string): Promise<RegistrationView[]> {
  if (uri !== undefined) {
    const id = await meta.resolveRegistration(uri)
    const reg = await meta.describe(id)
    if (!reg.callees.some((c) => c.session === session)) {
      throw new NotFoundError(`session ${session} is not a callee of ${reg.uri} (registration ${reg.id})`)
    }
    return [reg]
  }
  const snapshot = await meta.snapshot()
  const regs = snapshot.registrations.filter((r) => r.callees.some((c) => c.session === session))
  if (regs.length === 0) throw new NotFoundError(`session ${session} is not a callee of any registration`)
  return regs.sort((a, b) => a.uri.localeCompare(b.uri) || a.id - b.id)
}
