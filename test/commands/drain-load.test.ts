import { describe, expect, it } from 'vitest'
import type { CalleeStateEvent } from '../../src/protocol/extensions.js'
import type { DrainReport } from '../../src/ops/drain.js'
import { connFlags, spawnCli } from '../support/cli.js'
import type { SerializerName } from '../support/clients.js'
import { openPeer, type ClientKind, type Peer } from '../support/peers.js'
import { ADMIN, opsMeta, startOpsRouter } from '../support/ops-realm.js'

const MAX_CALLS = 20_000
const LOAD_DEADLINE_MS = 40_000
const AFTER_DRAIN_CALLS = 200
const WORKERS_PER_CALLER = 4

interface CalleeLog {
  peer: Peer
  /** Call sequence numbers in the order its invocations arrived. */
  received: number[]
  answered: number
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)))
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
}

describe('wampctl drain under continuous load', () => {
  it('drains one of 4 callees (autobahn and wampy) with zero failed calls, no invocation after the cordon, and every call in flight answered', async () => {
    const router = await startOpsRouter()
    const kinds: Array<[ClientKind, SerializerName]> = [
      ['autobahn', 'json'],
      ['wampy', 'json'],
      ['autobahn', 'msgpack'],
      ['wampy', 'cbor'],
    ]
    const TARGET = 2 // the autobahn/msgpack callee
    // The target holds one invocation (a "straggler") until the test sees the cordon: so a call
    // is surely in flight when the drain starts, and it must still return.
    let armed = false
    let straggler: { seq: number; release: () => void } | undefined
    let onHeld: (() => void) | undefined
    let cordonSeen: (() => void) | undefined
    const seen = new Promise<void>((r) => (cordonSeen = r))

    const callees: CalleeLog[] = []
    for (const [i, [kind, ser]] of kinds.entries()) {
      const log: CalleeLog = { peer: await openPeer(kind, router.url, ser), received: [], answered: 0 }
      callees.push(log)
      await log.peer.register(
        'com.load.work',
        async ({ args }) => {
          const seq = args[0] as number
          log.received.push(seq)
          if (i === TARGET && armed && straggler === undefined) {
            await new Promise<void>((release) => {
              straggler = { seq, release }
              onHeld?.()
            })
          } else {
            await delay(1 + (seq % 4)) // answer after a short async delay, so calls overlap
          }
          log.answered++
          return { args: [i, seq] }
        },
        { invoke: 'roundrobin' },
      )
    }
    const target = callees[TARGET]!

    // Watch the target's state changes (wampctl.callee.on_state) as an admin.
    const watcher = await opsMeta(router.url)
    let issued = 0
    let issuedAtCordon = -1
    let receivedAtCordon = -1
    let resultsAtCordon = -1
    await watcher.client.subscribe('wampctl.callee.on_state', (args) => {
      const e = args[0] as CalleeStateEvent
      if (e.session !== target.peer.id || e.state !== 'draining' || issuedAtCordon >= 0) return
      issuedAtCordon = issued
      receivedAtCordon = target.received.length
      resultsAtCordon = results.length
      cordonSeen!()
      straggler?.release()
    })

    // The load: two callers (autobahn and wampy), 4 calls in flight each, bounded in count and time.
    const callers = [await openPeer('autobahn', router.url, 'json'), await openPeer('wampy', router.url, 'msgpack')]
    const results: Array<{ callee: number; seq: number }> = []
    const failures: unknown[] = []
    let stopAt = MAX_CALLS
    const deadline = Date.now() + LOAD_DEADLINE_MS
    const worker = async (caller: Peer): Promise<void> => {
      while (issued < stopAt && Date.now() < deadline) {
        const seq = ++issued
        try {
          const r = await caller.call('com.load.work', [seq])
          results.push({ callee: r.args[0] as number, seq: r.args[1] as number })
        } catch (err) {
          failures.push(err)
        }
      }
    }
    const load = Promise.all(callers.flatMap((c) => Array.from({ length: WORKERS_PER_CALLER }, () => worker(c))))

    // Let every callee serve, then arm the straggler and wait until the target holds it.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the target never held a call')), 10_000)
      onHeld = () => {
        clearTimeout(t)
        resolve()
      }
      armed = true
    })

    const cli = spawnCli(
      ['drain', String(target.peer.id), '--then', 'unregister', '--timeout', '20s', '--yes', '--json', ...connFlags(router.url, ADMIN)],
      { timeoutMs: 30_000 },
    )
    const done = await cli.done
    straggler?.release() // already released at the cordon; if the drain never started, the checks below fail
    stopAt = Math.min(MAX_CALLS, issued + AFTER_DRAIN_CALLS)
    await load

    expect(done.code, done.stderr).toBe(0)
    await within(seen, 5000, 'the on_state event of the cordon') // published before the drain's result
    const report = JSON.parse(done.stdout) as DrainReport
    expect(report.result).toMatchObject({
      session: target.peer.id,
      drained: true,
      inflight: 0,
      then: 'unregister',
      outcome: 'unregistered',
    })
    expect(report.plan.registrations.map((r) => [r.uri, r.other_active.length, r.safe])).toEqual([['com.load.work', 3, true]])
    // The straggler (at least) was in flight when the callee left rotation…
    expect(report.inflight_at_start).toBeGreaterThanOrEqual(1)
    // …and the progress on stderr counted it down to 0, one line per change (not a terminal).
    const progress = done.stderr.trim().split('\n')
    expect(progress.at(-1)).toBe(`draining session ${target.peer.id}: 0 calls in flight`)
    expect(progress.every((l) => /^draining session \d+: \d+ calls? in flight$/.test(l))).toBe(true)

    // Zero failed calls; every call made returned a result.
    expect(failures).toEqual([])
    expect(results.length).toBe(issued)
    // Load was continuous: the other callees kept answering while the drain ran.
    const duringDrain = results.slice(resultsAtCordon).filter((r) => r.callee !== TARGET)
    expect(duringDrain.length).toBeGreaterThan(0)

    // No invocation reached the target for a call issued after the cordon was seen, and the
    // invocations that arrived after it were at most the calls in flight at the cordon.
    expect(Math.max(...target.received)).toBeLessThanOrEqual(issuedAtCordon)
    expect(target.received.length - receivedAtCordon).toBeLessThanOrEqual(report.inflight_at_start!)
    // Every invocation of the target was answered, and each answer reached its caller.
    expect(target.answered).toBe(target.received.length)
    expect(
      results
        .filter((r) => r.callee === TARGET)
        .map((r) => r.seq)
        .sort((a, b) => a - b),
    ).toEqual([...target.received].sort((a, b) => a - b))
    expect(results.some((r) => r.seq === straggler!.seq && r.callee === TARGET)).toBe(true)

    // The target is gone from the registration; the other three serve it.
    const meta = await opsMeta(router.url)
    const reg = await meta.describe(await meta.resolveRegistration('com.load.work'))
    expect(reg.callees.map((c) => c.session)).toEqual(callees.filter((_, i) => i !== TARGET).map((c) => c.peer.id))
    for (const [i, c] of callees.entries()) if (i !== TARGET) expect(c.answered).toBeGreaterThan(0)

    process.stdout.write(
      `drain under load: ${results.length} calls, ${failures.length} failed, ${report.inflight_at_start} in flight at drain start, ` +
        `${target.received.length} served by the drained callee (${target.received.length - receivedAtCordon} arrived after the cordon), drain took ${report.result!.elapsed_ms} ms\n`,
    )
  }, 60_000)
})
