import { TESTAMENT_SCOPES, TestamentUri, type TestamentScope } from '../../protocol/testament.js'
import { InvalidArgumentError, InvalidUriError, NotAuthorizedError } from '../errors.js'
import type { Dict } from '../inbound.js'
import type { MetaProcedure } from '../meta-procedure.js'
import type { Realm } from '../realm.js'
import { checkUri, isReservedUri } from '../uri.js'
import { optionalDict, stringArg } from './arguments.js'

/** Most testaments one session may hold (both scopes together): a bound on what a peer makes us keep. */
export const MAX_TESTAMENTS_PER_SESSION = 100

/**
 * `wamp.session.add_testament(topic, args, kwargs, {publish_options, scope})` and
 * `wamp.session.flush_testaments({scope})` (WAMP spec, "Testament"). The topic is checked like a
 * PUBLISH when the testament is added (URI, reserved prefixes, the role's publish permission), so
 * that publishing it later cannot fail. Neither procedure returns a value.
 */
export function testamentMetaProcedures(realm: Realm): Record<string, MetaProcedure> {
  return {
    [TestamentUri.add]: {
      mutating: false, // only the caller's own testaments
      handler: ({ caller, args, kwargs }) => {
        const topic = checkUri(stringArg(args, 0, 'topic'), 'exact', realm.strictUris)
        if (isReservedUri(topic)) throw new InvalidUriError(topic, "'wamp.' and 'wampctl.' topics are the router's own")
        if (!(caller.allowAll.publish || realm.authorizer.may(caller, 'publish', topic))) {
          throw new NotAuthorizedError(`role '${caller.authrole}' may not publish to '${topic}'`)
        }
        const eventArgs = args[1] === undefined || args[1] === null ? [] : args[1]
        if (!Array.isArray(eventArgs)) throw new InvalidArgumentError('argument 2 (args) must be a list')
        const eventKwargs = optionalDict(args, 2, 'kwargs')
        const publishOptions = kwargs.publish_options === undefined ? {} : dictKwarg(kwargs, 'publish_options')
        const scope = scopeKwarg(kwargs)
        const t = caller.testaments
        if (t.count('detached') + t.count('destroyed') >= MAX_TESTAMENTS_PER_SESSION) {
          throw new InvalidArgumentError(`a session may hold at most ${MAX_TESTAMENTS_PER_SESSION} testaments`)
        }
        t.add(scope, { topic, args: eventArgs, kwargs: eventKwargs, options: publishOptions })
        return {}
      },
    },
    [TestamentUri.flush]: {
      mutating: false,
      handler: ({ caller, kwargs }) => {
        caller.testaments.flush(scopeKwarg(kwargs))
        return {}
      },
    },
  }
}

function scopeKwarg(kwargs: Dict): TestamentScope {
  const s = kwargs.scope ?? 'destroyed'
  if (!(TESTAMENT_SCOPES as readonly unknown[]).includes(s)) {
    throw new InvalidArgumentError(`scope must be one of ${TESTAMENT_SCOPES.join(', ')}, got ${JSON.stringify(s)}`)
  }
  return s as TestamentScope
}

function dictKwarg(kwargs: Dict, name: string): Dict {
  const v = kwargs[name]
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`${name} must be a dict`)
  return v as Dict
}
