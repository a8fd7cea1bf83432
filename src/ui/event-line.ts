import type { MetaEvent } from '../ops/meta-events.js'
import { clock } from './format.js'

function who(e: MetaEvent): string {
  // Crossbar names no session in the unregister/delete of a session that closed.
  if (e.session === null) return 'a session that closed (the router did not say which)'
  const parts: string[] = []
  if (e.authid) parts.push(`authid ${e.authid}`)
  if (e.authrole) parts.push(`role ${e.authrole}`)
  if (e.authmethod) parts.push(e.authmethod)
  if (e.session_inferred === true) parts.push('closed')
  return `session ${e.session}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`
}

/** One human line per event: `14:03:07 register     com.example.add  session 123 (authid alice, role anonymous)`. */
export function formatEvent(e: MetaEvent): string {
  const head = `${clock(e.at)} ${e.kind.padEnd(12)}`
  switch (e.kind) {
    case 'join':
    case 'leave':
      return `${head} ${who(e)}`
    case 'rollout':
      return `${head} ${e.uri}  ${e.transition} → ${e.status}${e.percent === null || e.percent === undefined ? '' : ` at ${e.percent}%`}${e.reason ? ` (${e.reason})` : ''}  rollout ${e.rollout} by ${e.authid}`
    case 'state':
      return `${head} ${e.uri ?? `registration ${e.registration}`}  ${who(e)} → ${e.state} (weight ${e.weight}, ${e.cause})`
    default: {
      const id = e.registration ?? e.subscription
      const what = e.uri ?? (e.registration !== undefined ? `registration ${id}` : `subscription ${id}`)
      const policy = e.kind === 'reg-create' || e.kind === 'sub-create' ? ` [${e.match}${e.invoke ? `, ${e.invoke}` : ''}]` : ''
      return `${head} ${what}${policy}  ${who(e)}`
    }
  }
}
