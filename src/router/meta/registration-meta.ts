import { ErrorUri } from '../../protocol/error-uris.js'
import { RegistrationMeta } from '../../protocol/meta-uris.js'
import { NoSuchRegistrationError, NoSuchSessionError } from '../errors.js'
import { result, type MetaProcedure } from '../meta-procedure.js'
import type { Realm } from '../realm.js'
import { UNLIMITED, type Registration } from '../registration.js'
import { checkUri } from '../uri.js'
import { idArg, matchOption, optionalDict } from './arguments.js'

/** `wamp.registration.*` (WAMP spec, Registration Meta API) and Crossbar's `remove_callee`. */
export function registrationMetaProcedures(realm: Realm): Record<string, MetaProcedure> {
  const dealer = realm.dealer
  const byId = (args: unknown[]): Registration => {
    const id = idArg(args, 0, 'registration')
    const reg = dealer.byId.get(id)
    if (reg === undefined) throw new NoSuchRegistrationError(id)
    return reg
  }
  return {
    [RegistrationMeta.list]: {
      mutating: false,
      handler: () => result(dealer.index.idsByMatch((r) => r.id)),
    },
    [RegistrationMeta.lookup]: {
      mutating: false,
      handler: ({ args }) => {
        const match = matchOption(optionalDict(args, 1, 'options'))
        const uri = checkUri(args[0], match, realm.strictUris)
        return result(dealer.index.get(uri, match)?.id ?? null)
      },
    },
    [RegistrationMeta.match]: {
      mutating: false,
      handler: ({ args }) => {
        const uri = checkUri(args[0], 'exact', realm.strictUris)
        return result(dealer.index.best(uri)?.id ?? null)
      },
    },
    [RegistrationMeta.get]: {
      mutating: false,
      handler: ({ args }) => {
        const reg = byId(args)
        if (!realm.extensions) return result(reg.details())
        // wampctl extension (docs/routing.md): each callee's concurrency cap, null when uncapped.
        const callees = reg.callees.map((c) => ({ session: c.session.id, concurrency: c.concurrency === UNLIMITED ? null : c.concurrency }))
        return result({ ...reg.details(), callees })
      },
    },
    [RegistrationMeta.listCallees]: {
      mutating: false,
      handler: ({ args }) => result(byId(args).callees.map((c) => c.session.id)),
    },
    [RegistrationMeta.countCallees]: {
      mutating: false,
      handler: ({ args }) => result(byId(args).callees.length),
    },
    [RegistrationMeta.removeCallee]: {
      mutating: true,
      handler: ({ args }) => {
        const reg = byId(args)
        const sessionId = idArg(args, 1, 'callee_id')
        const reasonOf = (): string => (args[2] === undefined || args[2] === null ? ErrorUri.removed : checkUri(args[2], 'exact'))
        // A cluster node: the callee's own node revokes it, and the registry removes it everywhere.
        if (realm.cluster !== undefined) return realm.cluster.registrations.removeCallee(reg, sessionId, reasonOf()).then(() => ({}))
        const callee = reg.callees.find((c) => c.session.id === sessionId)
        if (callee === undefined) throw new NoSuchSessionError(sessionId)
        dealer.removeCallee(callee, reasonOf())
        return {}
      },
    },
  }
}
