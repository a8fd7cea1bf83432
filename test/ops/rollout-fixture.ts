import autobahn from 'autobahn'
import { afterEach } from 'vitest'
import { MetaClient } from '../../src/client/meta-client.js'
import { WampClient } from '../../src/client/connection.js'
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

export interface TestCallee {
  session: number
  kind: 'autobahn' | 'wampy'
  /** Invocations this callee received. */
  readonly invocations: number
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
  options: { authid?: string; delayMs?: number; uri?: string } = {},
): Promise<TestCallee> {
  const uri = options.uri ?? URI
  const wait = options.delayMs ?? 4
  let invocations = 0
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
      { invoke: 'roundrobin' } as autobahn.IRegisterOptions,
    )
    return {
      session: s.id,
      kind,
      get invocations() {
        return invocations
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
    { invoke: 'roundrobin' } as never,
  )
  return {
    session: Number(w.getSessionId()),
    kind,
    get invocations() {
      return invocations
    },
  }
}

const opened: WampClient[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()))
})

/** An admin session for src/ops (closed after the test). */
export async function opsMeta(url: string): Promise<MetaClient> {
  const client = await WampClient.connect({ url, realm: 'realm1', ...OPS })
  opened.push(client)
  return new MetaClient(client)
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
