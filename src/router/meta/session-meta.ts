import { SessionMeta } from '../../protocol/meta-uris.js'
import { CloseUri } from '../../protocol/error-uris.js'
import { NoSuchSessionError } from '../errors.js'
import { result, type MetaProcedure } from '../meta-procedure.js'
import type { Realm } from '../realm.js'
import type { Session } from '../session.js'
import { idArg, messageKwarg, optionalStringList, reasonKwarg, stringArg } from './arguments.js'

/** `wamp.session.*` (WAMP spec, Session Meta API), with docs/architecture.md's kill_by_authid returning ids. */
export function sessionMetaProcedures(realm: Realm): Record<string, MetaProcedure> {
  const filtered = (roles: string[] | undefined): Session[] => {
    const all = [...realm.sessions.values()]
    return roles === undefined ? all : all.filter((s) => roles.includes(s.authrole))
  }
  const kill = (s: Session, reason: string, message: string | undefined, quiet = false): void => {
    realm.leave(s, quiet)
    s.transport.goodbye(reason, message)
  }
  return {
    [SessionMeta.count]: {
      mutating: false,
      handler: ({ args }) => result(filtered(optionalStringList(args, 0, 'filter_authroles')).length),
    },
    [SessionMeta.list]: {
      mutating: false,
      handler: ({ args }) => result(filtered(optionalStringList(args, 0, 'filter_authroles')).map((s) => s.id)),
    },
    [SessionMeta.get]: {
      mutating: false,
      handler: ({ args }) => {
        const id = idArg(args, 0, 'session')
        const s = realm.sessions.get(id)
        if (s === undefined) throw new NoSuchSessionError(id)
        return result(s.details())
      },
    },
    [SessionMeta.kill]: {
      mutating: true,
      handler: ({ caller, args, kwargs }) => {
        const id = idArg(args, 0, 'session')
        const s = realm.sessions.get(id)
        // The spec: a caller naming itself gets no_such_session ("no *other* session with that id").
        if (s === undefined || s === caller) throw new NoSuchSessionError(id)
        kill(s, reasonKwarg(kwargs, CloseUri.normal), messageKwarg(kwargs))
        return {}
      },
    },
    [SessionMeta.killByAuthid]: {
      mutating: true,
      handler: ({ caller, args, kwargs }) => {
        const authid = stringArg(args, 0, 'authid')
        const reason = reasonKwarg(kwargs, CloseUri.normal)
        const message = messageKwarg(kwargs)
        const victims = [...realm.sessions.values()].filter((s) => s !== caller && s.authid === authid)
        for (const s of victims) kill(s, reason, message)
        return result(victims.map((s) => s.id))
      },
    },
    [SessionMeta.killByAuthrole]: {
      mutating: true,
      handler: ({ caller, args, kwargs }) => {
        const authrole = stringArg(args, 0, 'authrole')
        const reason = reasonKwarg(kwargs, CloseUri.normal)
        const message = messageKwarg(kwargs)
        const victims = [...realm.sessions.values()].filter((s) => s !== caller && s.authrole === authrole)
        for (const s of victims) kill(s, reason, message)
        return result(victims.length)
      },
    },
    [SessionMeta.killAll]: {
      mutating: true,
      handler: ({ caller, kwargs }) => {
        const reason = reasonKwarg(kwargs, CloseUri.normal)
        const message = messageKwarg(kwargs)
        const victims = [...realm.sessions.values()].filter((s) => s !== caller)
        // The spec: closing every session publishes no meta events (nobody would be left to get them).
        for (const s of victims) kill(s, reason, message, true)
        return result(victims.length)
      },
    },
  }
}
