import { InvalidArgumentError } from './errors.js'
import type { Dict } from './inbound.js'
import { EXTENSION_INVOKE_POLICIES, MAX_CONCURRENCY, SPEC_INVOKE_POLICIES, UNLIMITED, type InvokePolicy } from './registration.js'

/**
 * The routing options of REGISTER and CALL beyond the spec (docs/routing.md). Each has its plain
 * name (Crossbar's `concurrency`, Bondy's `rkey`) and an underscore form, because wampy passes
 * only `_`-prefixed custom options (and only the spec's five invoke policies). With the wampctl
 * extensions off, the router behaves like a spec router: the options are ignored and
 * `least_loaded` is an unknown policy.
 */

/** REGISTER.Options.invoke (or `_invoke`): one of the spec's five, or least_loaded with the extensions. */
export function invokePolicy(options: Dict, extensions: boolean): InvokePolicy {
  const raw = options.invoke ?? options._invoke ?? 'single'
  const known =
    SPEC_INVOKE_POLICIES.includes(raw as InvokePolicy) || (extensions && EXTENSION_INVOKE_POLICIES.includes(raw as InvokePolicy))
  if (!known) throw new InvalidArgumentError(`unknown invoke policy ${JSON.stringify(raw)}`)
  if (options.invoke !== undefined && options._invoke !== undefined && options.invoke !== options._invoke)
    throw new InvalidArgumentError(`invoke ${JSON.stringify(options.invoke)} and _invoke ${JSON.stringify(options._invoke)} disagree`)
  return raw as InvokePolicy
}

/** REGISTER.Options.concurrency (or `_concurrency`): the callee's cap on calls in flight; UNLIMITED when absent. */
export function concurrencyOption(options: Dict, extensions: boolean): number {
  const raw = options.concurrency ?? options._concurrency
  if (raw === undefined || raw === null || !extensions) return UNLIMITED
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_CONCURRENCY)
    throw new InvalidArgumentError(`concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, not ${JSON.stringify(raw)}`)
  return raw
}

/** CALL.Options.rkey (or `_rkey`): a sticky routing key (string or number), or undefined. */
export function routingKey(options: Dict): string | undefined {
  const raw = options.rkey ?? options._rkey
  if (raw === undefined || raw === null) return undefined
  if (typeof raw === 'string') return raw
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw)
  throw new InvalidArgumentError(`rkey must be a string or a number, not ${JSON.stringify(raw)}`)
}
