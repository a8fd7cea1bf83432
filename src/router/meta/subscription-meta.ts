import { SubscriptionMeta } from '../../protocol/meta-uris.js'
import { NoSuchSubscriptionError } from '../errors.js'
import { result, type MetaProcedure } from '../meta-procedure.js'
import type { PatternIndex } from '../pattern-index.js'
import type { Realm } from '../realm.js'
import { checkUri, type MatchPolicy } from '../uri.js'
import { idArg, matchOption, optionalDict } from './arguments.js'

/** A subscription as the meta API shows it: the broker's (Subscription) or a cluster record's (ClusterSubscription). */
interface Listed {
  readonly id: number
  readonly uri: string
  readonly match: MatchPolicy
  details(): { id: number; created: string; uri: string; match: MatchPolicy }
  sessions(): number[]
}

/** Where the answers come from: this router's broker, or a cluster node's replica of the whole realm's records. */
interface Catalog {
  index: PatternIndex<Listed>
  byId: ReadonlyMap<number, Listed>
}

/** `wamp.subscription.*` (WAMP spec, Subscription Meta API); a cluster node answers for the whole realm. */
export function subscriptionMetaProcedures(realm: Realm): Record<string, MetaProcedure> {
  const catalog = (): Catalog => realm.cluster?.pubsub.replica ?? realm.broker
  const byId = (args: unknown[]): Listed => {
    const id = idArg(args, 0, 'subscription')
    const sub = catalog().byId.get(id)
    if (sub === undefined) throw new NoSuchSubscriptionError(id)
    return sub
  }
  return {
    [SubscriptionMeta.list]: {
      mutating: false,
      handler: () => result(catalog().index.idsByMatch((s) => s.id)),
    },
    [SubscriptionMeta.lookup]: {
      mutating: false,
      handler: ({ args }) => {
        const match = matchOption(optionalDict(args, 1, 'options'))
        const uri = checkUri(args[0], match, realm.strictUris)
        return result(catalog().index.get(uri, match)?.id ?? null)
      },
    },
    [SubscriptionMeta.match]: {
      mutating: false,
      handler: ({ args }) => {
        const uri = checkUri(args[0], 'exact', realm.strictUris)
        const ids = catalog()
          .index.all(uri)
          .map((s) => s.id)
        return result(ids.length === 0 ? null : ids)
      },
    },
    [SubscriptionMeta.get]: {
      mutating: false,
      handler: ({ args }) => result(byId(args).details()),
    },
    [SubscriptionMeta.listSubscribers]: {
      mutating: false,
      handler: ({ args }) => result(byId(args).sessions()),
    },
    [SubscriptionMeta.countSubscribers]: {
      mutating: false,
      handler: ({ args }) => result(byId(args).sessions().length),
    },
  }
}
