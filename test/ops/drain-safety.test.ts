import { describe, expect, it } from 'vitest'
import { SafetyError } from '../../src/client/errors.js'
import type { CalleeView, RegistrationView } from '../../src/client/views.js'
import { assertSafe, planDrain } from '../../src/ops/drain-safety.js'

function callee(session: number, state: CalleeView['state'], weight: number | null = 1, inflight: number | null = 0): CalleeView {
  return {
    session,
    authid: null,
    authrole: null,
    state,
    weight,
    calls: 0,
    errors: 0,
    inflight,
    p50_ms: null,
    p99_ms: null,
    last_call_at: null,
  }
}

function reg(id: number, uri: string, callees: CalleeView[]): RegistrationView {
  return { id, uri, match: 'exact', invoke: 'roundrobin', created: null, callees }
}

describe('planDrain', () => {
  it('counts only other callees that are active with weight > 0 as keeping the registration served', () => {
    const plan = planDrain(1, 'w1', [
      reg(10, 'com.a', [callee(1, 'active', 1, 3), callee(2, 'active', 1)]),
      reg(11, 'com.b', [callee(1, 'active', 1, 2), callee(2, 'cordoned'), callee(3, 'draining'), callee(4, 'active', 0)]),
    ])
    expect(plan.registrations.map((r) => [r.uri, r.other_active, r.safe, r.inflight])).toEqual([
      ['com.a', [2], true, 3],
      ['com.b', [], false, 2],
    ])
    expect(plan.inflight).toBe(5)
    expect(plan.safe).toBe(false)
    expect(plan.blocked).toEqual(['com.b'])
  })

  it('is safe when the callee is already out of rotation (cordoned or weight 0): nothing changes for callers', () => {
    const plan = planDrain(1, null, [reg(10, 'com.a', [callee(1, 'cordoned')]), reg(11, 'com.b', [callee(1, 'active', 0)])])
    expect(plan.safe).toBe(true)
  })

  it('reports in flight as unknown when the router does not say (standard meta API)', () => {
    const plan = planDrain(1, null, [reg(10, 'com.a', [callee(1, 'unknown', null, null), callee(2, 'unknown', null, null)])])
    expect(plan.inflight).toBeNull()
    expect(plan.registrations[0]!.state).toBe('unknown')
  })
})

describe('assertSafe', () => {
  const unsafe = planDrain(7, null, [reg(10, 'com.only', [callee(7, 'active')])])

  it('refuses an unsafe plan with exit 4, naming the registration left without a callee', () => {
    expect(() => assertSafe(unsafe, 'drain', false)).toThrow(SafetyError)
    try {
      assertSafe(unsafe, 'drain', false)
    } catch (err) {
      expect((err as SafetyError).exitCode).toBe(4)
      expect((err as SafetyError).message).toMatch(/last active callee of com\.only.*--force/)
    }
  })

  it('lets --force through', () => {
    expect(() => assertSafe(unsafe, 'drain', true)).not.toThrow()
  })
})
