import autobahn from 'autobahn'
import { describe, expect, it } from 'vitest'
import type { CalleeStats, RouterSnapshot } from '../../src/protocol/extensions.js'
import { DURATION_BOUNDS_S } from '../../src/router/admin/callee-series.js'
import { autobahnSession, wampySession } from '../support/clients.js'
import { parseSamples, promtoolCheck, samples, scrape, value, type Sample } from '../support/prometheus.js'
import { RawPeer } from '../support/raw-peer.js'
import { Router } from '../../src/router/router.js'
import { startRouter } from '../support/router.js'

/** The admin listener's /metrics: valid for Prometheus's own checker, and the same numbers as the meta API. */

const URI = 'com.example.work'

async function snapshot(session: autobahn.Session): Promise<Map<number, CalleeStats>> {
  const snap = (await session.call('wampctl.registration.snapshot')) as RouterSnapshot
  const reg = snap.registrations.find((r) => r.uri === URI)!
  return new Map(reg.callees.map((c) => [c.session, c]))
}

function calleeSample(all: Sample[], name: string, session: number): number {
  return value(all, name, { realm: 'realm1', procedure: URI, match: 'exact', session: String(session) })
}

describe('admin listener: /metrics', () => {
  it('passes promtool check metrics and matches wampctl.registration.snapshot under load (autobahn and wampy callees)', async () => {
    const router = await startRouter({ admin: { port: 0 } })
    const admin = router.adminUrl!

    // Three real callees sharing one registration: two autobahn (one fails every 25th call), one wampy.
    const a1 = await autobahnSession(router.url, 'msgpack')
    await a1.register(URI, () => 'a1', { invoke: 'roundrobin' } as autobahn.IRegisterOptions)
    const a2 = await autobahnSession(router.url, 'json')
    await a2.register(
      URI,
      (args) => {
        if ((args![0] as number) % 25 === 0) throw new autobahn.Error('com.example.failed', ['every 25th'])
        return new Promise((resolve) => setImmediate(() => resolve('a2')))
      },
      { invoke: 'roundrobin' } as autobahn.IRegisterOptions,
    )
    const w = await wampySession(router.url, 'cbor')
    await w.register(URI, () => ({ argsList: ['w'] }), { invoke: 'roundrobin' })
    const caller = await autobahnSession(router.url, 'json')

    // Load: 40 callers' worth of calls in flight at once, 600 in all, scraped while it runs.
    let started = 0
    let failedUnexpectedly = 0
    const worker = async (): Promise<void> => {
      while (started < 600) {
        const n = started++
        try {
          await caller.call(URI, [n])
        } catch (err) {
          if ((err as autobahn.Error).error !== 'com.example.failed') failedUnexpectedly++
        }
      }
    }
    const load = Promise.all(Array.from({ length: 40 }, worker))
    await expect.poll(() => started, { timeout: 30_000 }).toBeGreaterThan(150)
    const before = await snapshot(caller)
    const during = await scrape(admin)
    const after = await snapshot(caller)
    await load
    expect(failedUnexpectedly).toBe(0)

    expect(during.status).toBe(200)
    expect(during.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    const mid = parseSamples(during.text)
    for (const [session, b] of before) {
      const a = after.get(session)!
      const calls = calleeSample(mid, 'wampctl_callee_calls_total', session)
      expect(calls).toBeGreaterThanOrEqual(b.calls)
      expect(calls).toBeLessThanOrEqual(a.calls)
      const errors = calleeSample(mid, 'wampctl_callee_errors_total', session)
      expect(errors).toBeGreaterThanOrEqual(b.errors)
      expect(errors).toBeLessThanOrEqual(a.errors)
    }

    // At rest: the same numbers exactly, and a histogram consistent with the snapshot's p50/p99.
    const settled = await scrape(admin)
    expect(promtoolCheck(settled.text)).toEqual({ code: 0, output: '' })
    const all = parseSamples(settled.text)
    const final = await snapshot(caller)
    expect(final.size).toBe(3)
    let total = 0
    for (const [session, c] of final) {
      expect(calleeSample(all, 'wampctl_callee_calls_total', session)).toBe(c.calls)
      expect(calleeSample(all, 'wampctl_callee_errors_total', session)).toBe(c.errors)
      expect(calleeSample(all, 'wampctl_callee_inflight', session)).toBe(0)
      const labels = { procedure: URI, session: String(session) }
      expect(samples(all, 'wampctl_callee_call_duration_seconds_count', labels)[0]!.value).toBe(c.calls)
      const buckets = samples(all, 'wampctl_callee_call_duration_seconds_bucket', labels)
      expect(buckets.map((b) => b.labels.le)).toEqual([...DURATION_BOUNDS_S.map(String), '+Inf'])
      expect(buckets.at(-1)!.value).toBe(c.calls)
      for (const [q, ms] of [
        [0.5, c.p50_ms],
        [0.99, c.p99_ms],
      ] as const) {
        // The first exported bucket holding the q-th call brackets the snapshot's percentile.
        const i = buckets.findIndex((b) => b.value >= Math.ceil(q * c.calls))
        const upperUs = Number(buckets[i]!.labels.le) * 1e6
        expect(ms! * 1000).toBeLessThanOrEqual(upperUs + 1)
        if (i > 0) expect(ms! * 1000).toBeGreaterThanOrEqual(upperUs / 2 - 1)
      }
      total += c.calls
    }
    expect(total).toBe(600)
    expect(value(all, 'wampctl_messages_received_total', { type: 'CALL' })).toBeGreaterThanOrEqual(601) // + the snapshot calls
    expect(value(all, 'wampctl_messages_sent_total', { type: 'INVOCATION' })).toBe(600)
    expect(value(all, 'wampctl_sessions', { realm: 'realm1' })).toBe(4)
    expect(value(all, 'wampctl_registrations', { realm: 'realm1' })).toBe(1)
    expect(value(all, 'wampctl_received_bytes_total')).toBeGreaterThan(0)
    expect(value(all, 'wampctl_router_ready')).toBe(1)
    expect(value(all, 'wampctl_callee_series_aggregated')).toBe(0)
  })

  it('caps the per-callee series at maxCalleeSeries and sums the rest under procedure="#other"', async () => {
    const router = await startRouter({ admin: { port: 0, maxCalleeSeries: 2 } })
    const callees: RawPeer[] = []
    for (let i = 0; i < 5; i++) {
      const p = await RawPeer.joined(router.url, 'json')
      expect((await p.register(`com.example.p${i}`))[0]).toBe(65)
      p.serve((inv) => [70, inv[1], {}, ['ok']])
      callees.push(p)
    }
    const caller = await RawPeer.joined(router.url, 'json')
    for (let i = 0; i < 5; i++) for (let k = 0; k <= i; k++) expect((await caller.call(`com.example.p${i}`))[0]).toBe(50)

    const { text } = await scrape(router.adminUrl!)
    expect(promtoolCheck(text)).toEqual({ code: 0, output: '' })
    const all = parseSamples(text)
    const rows = samples(all, 'wampctl_callee_calls_total')
    // The two oldest callees have their own series; the other three are one row: 3 + 4 + 5 calls.
    expect(rows.map((r) => [r.labels.procedure, r.labels.session, r.value])).toEqual([
      ['com.example.p0', String(callees[0]!.sessionId), 1],
      ['com.example.p1', String(callees[1]!.sessionId), 2],
      ['#other', 'other', 12],
    ])
    expect(value(all, 'wampctl_callee_series_aggregated')).toBe(3)
    expect(samples(all, 'wampctl_callee_call_duration_seconds_count').map((s) => s.value)).toEqual([1, 2, 12])
  })

  it('with a token, /metrics needs it (401 without, or with a wrong one); /healthz and /readyz stay open; other paths 404', async () => {
    const router = await startRouter({ admin: { port: 0, token: 's3cret-token' } })
    const admin = router.adminUrl!
    const none = await scrape(admin)
    expect(none.status).toBe(401)
    expect(none.text).not.toContain('wampctl_')
    expect((await scrape(admin, 'wrong')).status).toBe(401)
    const ok = await scrape(admin, 's3cret-token')
    expect(ok.status).toBe(200)
    expect(ok.text).toContain('wampctl_sessions{realm="realm1"} 0')
    const health = await fetch(`${admin}/healthz`)
    expect([health.status, await health.text()]).toEqual([200, 'ok\n'])
    const ready = await fetch(`${admin}/readyz`)
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n'])
    expect((await fetch(`${admin}/other`)).status).toBe(404)
    expect((await fetch(`${admin}/metrics`, { method: 'POST' })).status).toBe(405)
  })

  it('counts authentication failures and protocol violations by label', async () => {
    const router = await startRouter({
      admin: { port: 0 },
      realms: [{ name: 'realm1', auth: { anonymous: false, ticket: { svc: { ticket: 't', role: 'anonymous' } } } }],
    })
    const wrong = await RawPeer.open(router.url, 'json')
    expect((await wrong.hello('realm1', { authid: 'svc', authmethods: ['ticket'] }))[0]).toBe(4)
    wrong.send([5, 'not-it', {}])
    await wrong.nextOf(3)
    const bad = await RawPeer.open(router.url, 'json')
    bad.sendFrame('[1, "realm1"')
    await bad.closed
    const all = parseSamples((await scrape(router.adminUrl!)).text)
    expect(value(all, 'wampctl_authentication_failures_total', { error: 'wamp.error.authentication_denied' })).toBe(1)
    expect(value(all, 'wampctl_protocol_violations_total')).toBe(1)
    expect(value(all, 'wampctl_malformed_frames_total')).toBe(1)
    expect(value(all, 'wampctl_peers_dropped_total', { reason: 'protocol_violation' })).toBe(1)
  })

  it('is not ready while starting; a WAMP listener that cannot start closes the admin listener too', async () => {
    const taken = await startRouter()
    const router = new Router({ admin: { port: 0 } })
    expect([router.ready, router.serving, router.notReadyReason]).toEqual([false, false, 'starting'])
    await expect(router.listen({ port: taken.port })).rejects.toThrow(/EADDRINUSE/)
    expect(router.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    await expect(fetch(`${router.adminUrl!}/healthz`)).rejects.toThrow()
    expect(router.ready).toBe(false)
  })
})
