import autobahn from 'autobahn'
import { afterEach } from 'vitest'
import { MetaClient } from '../../src/client/meta-client.js'
import { WampClient } from '../../src/client/connection.js'
import { RolloutClient } from '../../src/client/rollout-client.js'
import type { CanarySpec, RolloutUpdate } from '../../src/protocol/rollout.js'
import type { RouterOptions } from '../../src/router/config.js'
import { autobahnSession, wampySession } from '../support/clients.js'
import { ADMIN, OPS_ROUTER_OPTIONS } from '../support/ops-realm.js'

/**
 * Rollout tests' world: a router with an admin principal (`ops`/`s`), real callees (autobahn and
 * wampy) that answer after a short async delay, and a caller loop that keeps calls in flight,
 * bounded in count and time, counting every answer and every failure by error URI.
 */

export const URI = 'com.example.svc'
export const FAIL_URI = 'com.example.canary_failed'

export const ROUTER_OPTIONS: RouterOptions = OPS_ROUTER_OPTIONS
export const OPS = ADMIN

export type Reply = 'old' | 'new' | 'fail'

export const HEALTH_URI = `${URI}.health`
export const HEALTH_FAIL_URI = 'com.example.unhealthy'

export interface TestCallee {
  session: number
  kind: 'autobahn' | 'wampy'
  /** Invocations this callee received. */
  readonly invocations: number
  /** Invocations of its health procedure (HEALTH_URI), when it registered one. */
  readonly probes: number
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * A callee of `uri` (roundrobin) answering `reply` after `delayMs`, or failing with FAIL_URI when
 * `reply` is 'fail'. Closed after the test (test/support/clients.ts).
 */
/** `authid` works with autobahn callees only (anonymous sessions keep the authid they ask for). */
export async function startCallee(
  url: string,
  kind: 'autobahn' | 'wampy',
  reply: Reply,
  options: { authid?: string; delayMs?: number; uri?: string; weight?: number; health?: 'ok' | 'fail' } = {},
): Promise<TestCallee> {
  const uri = options.uri ?? URI
  const wait = options.delayMs ?? 4
  const regOptions = { invoke: 'roundrobin', ...(options.weight === undefined ? {} : { _weight: options.weight }) }
  let invocations = 0
  let probes = 0
  const health = options.health
  const healthReply = async (): Promise<string> => {
    probes++
    await delay(1)
    if (health === 'fail') throw new autobahn.Error(HEALTH_FAIL_URI, ['not healthy'])
    return 'ok'
  }
  if (kind === 'autobahn') {
    const s = await autobahnSession(url, 'json', options.authid === undefined ? {} : { authid: options.authid })
    // autobahn prints every error a handler throws; a failing canary throws on purpose.
    ;(s as unknown as { _on_user_error: () => void })._on_user_error = () => {}
    await s.register(
      uri,
      async () => {
        invocations++
        await delay(wait)
        if (reply === 'fail') throw new autobahn.Error(FAIL_URI, ['the canary is broken'])
        return reply
      },
      regOptions as autobahn.IRegisterOptions,
    )
    if (health !== undefined) await s.register(HEALTH_URI, healthReply, { invoke: 'roundrobin' } as autobahn.IRegisterOptions)
    return {
      session: s.id,
      kind,
      get invocations() {
        return invocations
      },
      get probes() {
        return probes
      },
    }
  }
  const w = await wampySession(url, 'msgpack')
  await w.register(
    uri,
    async () => {
      invocations++
      await delay(wait)
      if (reply === 'fail') throw { error: FAIL_URI, argsList: ['the canary is broken'] }
      return { argsList: [reply] }
    },
    regOptions as never,
  )
  if (health !== undefined) {
    await w.register(
      HEALTH_URI,
      async () => {
        try {
          return { argsList: [await healthReply()] }
        } catch {
          throw { error: HEALTH_FAIL_URI, argsList: ['not healthy'] }
        }
      },
      { invoke: 'roundrobin' } as never,
    )
  }
  return {
    session: Number(w.getSessionId()),
    kind,
    get invocations() {
      return invocations
    },
    get probes() {
      return probes
    },
  }
}

const opened: WampClient[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

/** An admin session for src/ops (closed after the test); `anonymous`: an ordinary one. */
export async function opsMeta(url: string, anonymous = false): Promise<MetaClient> {
  const client = await WampClient.connect(anonymous ? { url, realm: 'realm1' } : { url, realm: 'realm1', ...OPS })
  opened.push(client)
  return new MetaClient(client)
}

/** The router's rollout controller, as an admin (or anonymous) session sees it. */
export async function opsRollouts(url: string, anonymous = false): Promise<RolloutClient> {
  return new RolloutClient((await opsMeta(url, anonymous)).client)
}

/** A canary spec for the tests: fast checks, the defaults otherwise. */
export function canarySpec(o: Partial<CanarySpec> = {}): CanarySpec {
  return {
    kind: 'canary',
    uri: URI,
    canary: { authid: 'svc-v2' },
    wait_ms: 10_000,
    steps: [{ percent: 25 }, { percent: 50 }, { percent: 100 }],
    interval_ms: 300,
    max_error_rate: 0.01,
    max_p99_ms: null,
    min_calls: 1,
    on_idle: 'hold',
    on_success: 'retire-old',
    drain_timeout_ms: 10_000,
    timeout_ms: null,
    probe: null,
    probe_timeout_ms: 5_000,
    failure_limit: 1,
    success_limit: 1,
    dry_run_analysis: false,
    ...o,
  }
}

/** Every rollout update of the realm, as they come (subscribed before anything starts). */
export async function recordUpdates(rc: RolloutClient): Promise<RolloutUpdate[]> {
  const seen: RolloutUpdate[] = []
  await rc.onUpdate((u) => seen.push(u))
  return seen
}

export interface LoadReport {
  calls: number
  ok: number
  failed: number
  /** Answers by value ('old', 'new'). */
  answers: Record<string, number>
  /** Failures by error URI. */
  failures: Record<string, number>
}

export interface Load {
  readonly report: LoadReport
  /** Resolves once `n` more calls have answered (bounded wait). */
  answered(n: number, timeoutMs?: number): Promise<void>
  /** Stop calling and wait for the calls in flight. */
  stop(): Promise<LoadReport>
}

/**
 * `workers` callers in a loop, each with one call in flight at all times, until stopped, `maxCalls`
 * calls or `maxMs` — whichever comes first.
 */
export async function startLoad(
  url: string,
  options: { workers?: number; maxCalls?: number; maxMs?: number; uri?: string } = {},
): Promise<Load> {
  const uri = options.uri ?? URI
  const caller = await autobahnSession(url, 'json')
  const report: LoadReport = { calls: 0, ok: 0, failed: 0, answers: {}, failures: {} }
  const maxCalls = options.maxCalls ?? 40_000
  const end = Date.now() + (options.maxMs ?? 60_000)
  let stopped = false
  const waiters = new Set<() => void>()
  const worker = async (): Promise<void> => {
    while (!stopped && report.calls < maxCalls && Date.now() < end) {
      report.calls++
      try {
        const v = String(await caller.call(uri, []))
        report.ok++
        report.answers[v] = (report.answers[v] ?? 0) + 1
      } catch (err) {
        report.failed++
        const e = (err as { error?: string }).error ?? String(err)
        report.failures[e] = (report.failures[e] ?? 0) + 1
      }
      for (const w of [...waiters]) w()
    }
  }
  const running = Promise.all(Array.from({ length: options.workers ?? 4 }, worker))
  return {
    report,
    answered(n, timeoutMs = 10_000) {
      const target = report.ok + report.failed + n
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (report.ok + report.failed >= target) {
            cleanup()
            resolve()
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`the load did not get ${n} more answers within ${timeoutMs} ms: ${JSON.stringify(report)}`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    async stop() {
      stopped = true
      await running
      return report
    },
  }
}

/** Wait (bounded) until `check` holds; `what` names it in the failure. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await delay(25)
  }
}
