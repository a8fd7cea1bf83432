import { SessionMeta } from '../../protocol/meta-uris.js'
import { CloseUri } from '../../protocol/error-uris.js'
import { NoSuchSessionError } from '../errors.js'
import { result, type MetaProcedure, type MetaResult } from '../meta-procedure.js'
import type { Realm } from '../realm.js'
import type { Session } from '../session.js'
import { idArg, messageKwarg, optionalStringList, reasonKwarg, stringArg } from './arguments.js'
import { killSession, localVictims, type SessionSelector } from './session-kill.js'

/**
 * `wamp.session.*` (WAMP spec, Session Meta API), with docs/architecture.md's kill_by_authid
 * returning ids. In a cluster they cover the sessions of every node (`realm.cluster.sessions`):
 * `get` adds the session's `node`, and kills reach a remote session through its node.
 */
export function sessionMetaProcedures(realm: Realm): Record<string, MetaProcedure> {
  const ids = (roles: string[] | undefined): number[] => {
    if (realm.cluster !== undefined) return realm.cluster.sessions.ids(roles)
    const all = [...realm.sessions.values()]
    return (roles === undefined ? all : all.filter((s) => roles.includes(s.authrole))).map((s) => s.id)
  }
  /**
   * Close the sessions `select` names, the caller excepted: this router's at once, then (in a
   * cluster) the other nodes'. `answer` turns the closed ids into the procedure's result.
   */
  const killWhere = (
    caller: Session,
    select: SessionSelector,
    kwargs: Record<string, unknown>,
    quiet: boolean,
    answer: (ids: number[]) => MetaResult,
  ): MetaResult | Promise<MetaResult> => {
    const reason = reasonKwarg(kwargs, CloseUri.normal)
    const message = messageKwarg(kwargs)
    const victims = localVictims(realm, select, caller.id)
    for (const s of victims) killSession(realm, s, reason, message, quiet)
    const here = victims.map((s) => s.id)
    if (realm.cluster === undefined) return answer(here)
    return realm.cluster.sessions.killElsewhere(select, caller.id, reason, message, quiet).then((there) => answer([...here, ...there]))
  }
  return {
    [SessionMeta.count]: {
      mutating: false,
      handler: ({ args }) => result(ids(optionalStringList(args, 0, 'filter_authroles')).length),
    },
    [SessionMeta.list]: {
      mutating: false,
      handler: ({ args }) => result(ids(optionalStringList(args, 0, 'filter_authroles'))),
    },
    [SessionMeta.get]: {
      mutating: false,
      handler: ({ args }) => {
        const id = idArg(args, 0, 'session')
        const details = realm.cluster !== undefined ? realm.cluster.sessions.get(id) : realm.sessions.get(id)?.details()
        if (details === undefined) throw new NoSuchSessionError(id)
        return result(details)
      },
    },
    [SessionMeta.kill]: {
      mutating: true,
      handler: ({ caller, args, kwargs }) => {
        const id = idArg(args, 0, 'session')
        const reason = reasonKwarg(kwargs, CloseUri.normal)
        const message = messageKwarg(kwargs)
        const s = realm.sessions.get(id)
        // The spec: a caller naming itself gets no_such_session ("no *other* session with that id").
        if (id === caller.id || (s === undefined && realm.cluster === undefined)) throw new NoSuchSessionError(id)
        if (s !== undefined) {
          killSession(realm, s, reason, message, false)
          return {}
        }
        // Another node's: its node closes it (no_such_session when no node has it).
        return realm.cluster!.sessions.killElsewhere({ id }, caller.id, reason, message, false).then(() => ({}))
      },
    },
    [SessionMeta.killByAuthid]: {
      mutating: true,
      handler: ({ caller, args, kwargs }) => killWhere(caller, { authid: stringArg(args, 0, 'authid') }, kwargs, false, result),
    },
    [SessionMeta.killByAuthrole]: {
      mutating: true,
      handler: ({ caller, args, kwargs }) =>
        killWhere(caller, { authrole: stringArg(args, 0, 'authrole') }, kwargs, false, (killed) => result(killed.length)),
    },
    [SessionMeta.killAll]: {
      // The spec: closing every session publishes no meta events (nobody would be left to get them).
      mutating: true,
      handler: ({ caller, kwargs }) => killWhere(caller, { all: true }, kwargs, true, (killed) => result(killed.length)),
    },
  }
}
