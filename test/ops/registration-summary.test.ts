import { describe, expect, it } from 'vitest'
import type { CalleeView, RegistrationView } from '../../src/client/views.js'
import { callsPerSecond, spreadOf, summarize } from '../../src/ops/registration-summary.js'

function callee(session: number, calls: number, state: CalleeView['state'] = 'active'): CalleeView {
  return {
    session,
    authid: null,
    authrole: null,
    state,
    weight: 1,
    calls,
    errors: 0,
    inflight: 0,
    p50_ms: null,
    p99_ms: null,
    last_call_at: null,
  }
}

function registration(invoke: string, callees: CalleeView[]): RegistrationView {
  return { id: 1, uri: 'com.example.x', match: 'exact', invoke, created: null, callees }
}

describe('registration summary', () => {
  it('spread is max/min calls over the active callees, ignoring cordoned ones', () => {
    expect(spreadOf([callee(1, 30), callee(2, 20), callee(3, 0, 'cordoned')])).toBe(1.5)
    expect(spreadOf([callee(1, 30), callee(2, 0)])).toBe(Infinity)
    expect(spreadOf([callee(1, 30)])).toBeNull()
    expect(spreadOf([callee(1, 0), callee(2, 0)])).toBeNull()
  })

  it('has no spread for policies that keep standbys idle on purpose (single, first, last)', () => {
    const callees = [callee(1, 40), callee(2, 0)]
    for (const invoke of ['first', 'last', 'single']) expect(summarize(registration(invoke, callees)).spread).toBeNull()
    expect(summarize(registration('roundrobin', callees)).spread).toBe(Infinity)
    expect(summarize(registration('random', [callee(1, 40), callee(2, 20)])).spread).toBe(2)
  })

  it('calls/s counts each callee from its previous count, a new callee from zero', () => {
    const prev = registration('roundrobin', [callee(1, 10), callee(2, 10)])
    const now = registration('roundrobin', [callee(1, 20), callee(2, 15), callee(3, 5)])
    expect(callsPerSecond(now, prev, 2000)).toBe(10)
  })
})
