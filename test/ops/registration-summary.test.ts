import { describe, expect, it } from 'vitest'
import { viewTakesCalls, type CalleeView, type RegistrationView } from '../../src/client/views.js'
import { perSecond, spreadOf } from '../../src/ops/recent-rates.js'
import { detailOf, summarize } from '../../src/ops/registration-summary.js'

/** A callee with `recent` calls in a 10 s window (and ten times as many in its lifetime). */
function callee(session: number, recent: number, state: CalleeView['state'] = 'active', weight = 1): CalleeView {
  return {
    session,
    authid: null,
    authrole: null,
    state,
    weight,
    calls: recent * 10,
    errors: 0,
    inflight: 0,
    p50_ms: null,
    p99_ms: null,
    last_call_at: null,
    recent: { calls: recent, errors: 0, window_ms: 10_000 },
  }
}
const takes = (c: CalleeView) => ({ takesCalls: c.state === 'active' && (c.weight ?? 1) > 0, recentCalls: c.recent!.calls })

function registration(invoke: string, callees: CalleeView[]): RegistrationView {
  return { id: 1, uri: 'com.example.x', match: 'exact', invoke, created: null, callees }
}

describe('registration summary', () => {
  it('spread is max/min recent calls over the callees that take calls, ignoring cordoned and weight-0 ones', () => {
    expect(spreadOf('roundrobin', [callee(1, 30), callee(2, 20), callee(3, 0, 'cordoned')].map(takes))).toBe(1.5)
    expect(spreadOf('roundrobin', [callee(1, 30), callee(2, 0)].map(takes))).toBe(Infinity)
    expect(spreadOf('roundrobin', [callee(1, 30)].map(takes))).toBeNull()
    expect(spreadOf('roundrobin', [callee(1, 0), callee(2, 0)].map(takes))).toBeNull()
    // a dark canary (weight 0) is not an idle callee: list and top agree on that
    const dark = registration('roundrobin', [callee(1, 30), callee(2, 30), callee(3, 0, 'active', 0)])
    expect(summarize(dark)).toMatchObject({ spread: 1, taking_calls: 2 })
  })

  it('calls/s, errors and shares are over the recent window the router reports; lifetime counts are the totals', () => {
    const reg = registration('roundrobin', [callee(1, 70), callee(2, 20), callee(3, 10)])
    expect(summarize(reg)).toMatchObject({ calls_per_s: 10, window_ms: 10_000, calls_total: 1000, spread: 7 })
    const d = detailOf(reg)
    expect(d.callees.map((c) => [c.calls_per_s, c.share, c.calls_total])).toEqual([
      [7, 0.7, 700],
      [2, 0.2, 200],
      [1, 0.1, 100],
    ])
    expect([d.calls_per_s, d.spread]).toEqual([10, 7])
  })

  it('has no spread for policies that keep standbys idle on purpose (single, first, last)', () => {
    const callees = [callee(1, 40), callee(2, 0)]
    for (const invoke of ['first', 'last', 'single']) expect(summarize(registration(invoke, callees)).spread).toBeNull()
    expect(summarize(registration('roundrobin', callees)).spread).toBe(Infinity)
    expect(summarize(registration('random', [callee(1, 40), callee(2, 20)])).spread).toBe(2)
  })

  it("without the router's window (an older router) calls/s counts each callee from its previous snapshot, a new callee from zero", () => {
    const old = (c: CalleeView): CalleeView => ({ ...c, recent: null })
    const prev = registration('roundrobin', [callee(1, 1), callee(2, 1)].map(old))
    const now = registration('roundrobin', [callee(1, 2), callee(2, 1.5), callee(3, 0.5)].map(old))
    expect(summarize(now, prev, 2000).calls_per_s).toBe(10)
    expect(summarize(now).calls_per_s).toBeNull()
  })
})

describe('registration summary of one snapshot (the one-pass path)', () => {
  /** The figures by their definitions, built the long way from the shared helpers. */
  function byDefinition(view: RegistrationView): Record<string, unknown> {
    const sum = (xs: Array<number | null>): number | null =>
      xs.some((x) => x === null) ? null : (xs as number[]).reduce((a, b) => a + b, 0)
    const recent = view.callees.map((c) => c.recent!)
    return {
      id: view.id,
      uri: view.uri,
      match: view.match,
      invoke: view.invoke,
      created: view.created,
      callees: view.callees.length,
      taking_calls: view.callees.some((c) => c.state === 'unknown') ? null : view.callees.filter(viewTakesCalls).length,
      calls_per_s: perSecond(sum(recent.map((r) => r.calls)), Math.max(...recent.map((r) => r.window_ms))),
      inflight: sum(view.callees.map((c) => c.inflight)),
      queued: view.queued ?? null,
      errors: sum(recent.map((r) => r.errors)),
      spread: spreadOf(
        view.invoke,
        view.callees.map((c, i) => ({ takesCalls: c.state !== 'unknown' && viewTakesCalls(c), recentCalls: recent[i]!.calls })),
      ),
      window_ms: Math.max(...recent.map((r) => r.window_ms)),
      calls_total: sum(view.callees.map((c) => c.calls)),
      errors_total: sum(view.callees.map((c) => c.errors)),
    }
  }

  it('gives every figure, in the same key order, as their definitions do (600 generated registrations)', () => {
    let seed = 12345
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)]!
    for (let i = 0; i < 600; i++) {
      const callees = Array.from({ length: 1 + next(5) }, (_, j): CalleeView => ({
        ...callee(j + 1, pick([0, 0, 1, 7, 30])),
        state: pick(['active', 'active', 'cordoned', 'draining', 'unknown'] as const),
        weight: pick([0, 1, 1, 3, null]),
        inflight: pick([0, 2, null]),
        calls: pick([0, 40, null]),
        errors: pick([0, 3, null]),
        recent: { calls: pick([0, 0, 1, 7, 30]), errors: pick([0, 1]), window_ms: pick([2500, 9000, 10_000]) },
      }))
      const view: RegistrationView = {
        ...registration(pick(['roundrobin', 'random', 'single', 'first', 'last', 'least_loaded']), callees),
        queued: pick([0, 4, null, undefined]),
      }
      const got = summarize(view)
      expect(Object.keys(got)).toEqual(Object.keys(byDefinition(view)))
      expect(got, JSON.stringify(view)).toEqual(byDefinition(view))
    }
  })
})
