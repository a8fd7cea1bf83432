import { RolloutUri, type RolloutRecord } from '../../../protocol/rollout.js'
import { InvalidArgumentError } from '../../errors.js'
import { result, type MetaProcedure, type MetaResult } from '../../meta-procedure.js'
import { optionalDict, stringArg } from '../../meta/arguments.js'
import type { RolloutController } from './controller.js'
import { parseSpec } from './spec.js'

/**
 * `wampctl.rollout.*`: start and steer rollouts (admin roles only: `mutating`, checked by the
 * realm before the handler runs, so a refused caller changes nothing), read them (the role's URI
 * rules, like any read-only meta procedure).
 */
/** A record now (this node runs it), or later (a cluster node asks the one that does). */
function answer(r: RolloutRecord | Promise<RolloutRecord>): MetaResult | Promise<MetaResult> {
  return r instanceof Promise ? r.then(result) : result(r)
}

export function rolloutProcedures(rollouts: RolloutController): Record<string, MetaProcedure> {
  const uriArg = (args: unknown[]): string => stringArg(args, 0, 'uri')
  return {
    [RolloutUri.start]: {
      mutating: true,
      handler: ({ args, kwargs, caller }) => {
        const raw = { ...optionalDict(args, 0, 'spec'), ...kwargs }
        return answer(rollouts.start(parseSpec(raw), caller))
      },
    },
    [RolloutUri.status]: { mutating: false, handler: ({ args }) => result(rollouts.status(uriArg(args))) },
    [RolloutUri.list]: { mutating: false, handler: () => result(rollouts.list()) },
    [RolloutUri.history]: {
      mutating: false,
      handler: ({ args }) => {
        const uri = args[0]
        if (uri !== undefined && uri !== null && typeof uri !== 'string')
          throw new InvalidArgumentError('argument 1 (uri) must be a string')
        return result(rollouts.historyOf(typeof uri === 'string' ? uri : null))
      },
    },
    [RolloutUri.abort]: {
      mutating: true,
      handler: async ({ args, caller }) => result(await rollouts.abort(uriArg(args), caller)),
    },
    [RolloutUri.pause]: {
      mutating: true,
      handler: ({ args, caller }) => answer(rollouts.steer('pause', uriArg(args), caller)),
    },
    [RolloutUri.resume]: {
      mutating: true,
      handler: ({ args, caller }) => answer(rollouts.steer('resume', uriArg(args), caller)),
    },
    [RolloutUri.promote]: {
      mutating: true,
      handler: ({ args, kwargs, caller }) => {
        const full = { ...optionalDict(args, 1, 'options'), ...kwargs }.full === true
        return answer(rollouts.steer('promote', uriArg(args), caller, full))
      },
    },
    [RolloutUri.undo]: {
      mutating: true,
      handler: async ({ args, caller }) => result(await rollouts.undo(uriArg(args), caller)),
    },
  }
}
