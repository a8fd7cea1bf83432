import { SubscriptionMeta } from '../../protocol/meta-uris.js'
import { NoSuchSubscriptionError } from '../errors.js'
import { result, type MetaProcedure } from '../meta-procedure.js'
import type { Realm } from '../realm.js'
import type { Subscription } from '../subscription.js'
import { checkUri } from '../uri.js'
import { idArg, matchOption, optionalDict } from './arguments.js'

/** `wamp.subscription.*` (WAMP spec, Subscription Meta API). */
export function subscriptionMetaProcedures(realm: Realm): Record<string, MetaProcedure> {
  const broker = realm.broker
  const byId = (args: unknown[]): Subscription => {
    const id = idArg(args, 0, 'subscription')
    const sub = broker.byId.get(id)
    if (sub === undefined) throw new NoSuchSubscriptionError(id)
    return sub
  }
  return {
    [SubscriptionMeta.list]: {
      mutating: false,
      handler: () => result(broker.index.idsByMatch((s) => s.id)),
    },
    [SubscriptionMeta.lookup]: {
      mutating: false,
      handler: ({ args }) => {
        const match = matchOption(optionalDict(args, 1, 'options'))
        const uri = checkUri(args[0], match, realm.strictUris)
        return result(broker.index.get(uri, match)?.id ?? null)
      },
    },
    [SubscriptionMeta.match]: {
      mutating: false,
      handler: ({ args }) => {
        const uri = checkUri(args[0], 'exact', realm.strictUris)
        const ids = broker.index.all(uri).map((s) => s.id)
        return result(ids.length === 0 ? null : ids)
      },
    },
    [SubscriptionMeta.get]: {
      mutating: false,
      handler: ({ args }) => result(byId(args).details()),
    },
    [SubscriptionMeta.listSubscribers]: {
      mutating: false,
      handler: ({ args }) => result([...byId(args).subscribers].map((s) => s.id)),
    },
    [SubscriptionMeta.countSubscribers]: {
      mutating: false,
      handler: ({ args }) => result(byId(args).subscribers.size),
    },
  }
}
