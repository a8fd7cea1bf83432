import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/client/errors.js'
import type { CalleeView, RegistrationView } from '../../src/client/views.js'
import { canaryWeight, evaluateGates, parseRate, parseSteps, rolloutPath, RolloutStore, windowStats } from '../../src/ops/rollout/index.js'
import { newState } from '../../src/ops/rollout/state-file.js'

function callee(session: number, calls: number, errors: number, p99: number | null = 5): CalleeView {
  return {
    session,
    authid: null,
    authrole: null,
    state: 'active',
    weight: 1,
    calls,
    errors,
    inflight: 0,
    p50_ms: 1,
    p99_ms: p99,
    last_call_at: null,
  }
}

function reg(callees: CalleeView[]): RegistrationView {
  return { id: 1, uri: 'com.example.svc', match: 'exact', invoke: 'roundrobin', created: null, callees }
}

const gates = { maxErrorRate: 0.01, maxP99Ms: 100, minCalls: 5 }

describe('rollout steps, weights and health gates', () => {
  it('parses rising steps ending at 100 and refuses anything else (exit 2)', () => {
    expect(parseSteps('1,5,25,50,100')).toEqual([1, 5, 25, 50, 100])
    expect(parseSteps('10%, 100%')).toEqual([10, 100])
    for (const bad of ['', '5,1,100', '10,50', '0,100', '10,,100', '10,x,100', '50,150']) {
      expect(() => parseSteps(bad), bad).toThrow(UsageError)
    }
    expect(parseRate('0.01', '--max-error-rate')).toBe(0.01)
    expect(parseRate('2.5%', '--max-error-rate')).toBe(0.025)
    expect(() => parseRate('2', '--max-error-rate')).toThrow(UsageError)
  })

  it('gives the canary the weight for its share next to the old callees', () => {
    expect(canaryWeight(50, 3)).toBe(3)
    expect(canaryWeight(25, 3)).toBe(1)
    expect(canaryWeight(1, 3)).toBeCloseTo(3 / 99, 6)
    const w = canaryWeight(5, 7)
    expect(w / (w + 7)).toBeCloseTo(0.05, 5)
    expect(() => canaryWeight(100, 3)).toThrow(RangeError)
  })

  it('computes the window from counter deltas, canary against the rest', () => {
    const before = reg([callee(1, 100, 0), callee(2, 100, 1), callee(9, 0, 0)])
    const after = reg([callee(1, 160, 0), callee(2, 170, 1), callee(9, 30, 3, 40), callee(7, 500, 50)])
    const w = windowStats(before, after, 9, new Set([1, 2]), 1000)
    expect(w.canary).toEqual({ calls: 30, errors: 3, error_rate: 0.1, p99_ms: 40, inflight: 0 })
    expect(w.rest.calls).toBe(130)
    expect(w.rest.errors).toBe(0)
    expect(w.share).toBeCloseTo(30 / 160, 6)
  })

  it('breaches on the error rate or p99, is idle without enough calls, passes otherwise', () => {
    const base = reg([callee(1, 0, 0), callee(9, 0, 0)])
    const judge = (calls: number, errors: number, p99: number | null) =>
      evaluateGates(windowStats(base, reg([callee(1, 100, 0), callee(9, calls, errors, p99)]), 9, new Set([1]), 1000), gates)
    expect(judge(50, 1, 5).verdict).toBe('breach') // 2% > 1%
    expect(judge(2, 1, 5).verdict).toBe('breach') // errors are evidence even below --min-calls
    expect(judge(3, 0, 5)).toMatchObject({ verdict: 'idle' })
    expect(judge(0, 0, null).reason).toMatch(/served 0 call/)
    expect(judge(50, 0, 150)).toMatchObject({ verdict: 'breach' })
    expect(judge(50, 0, 150).reason).toMatch(/p99 150 ms is above --max-p99 100 ms/)
    expect(judge(200, 1, 50).verdict).toBe('pass') // 0.5%
  })

  it('keeps the state file per realm and URI, written whole, with abort markers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wampctl-state-'))
    try {
      expect(rolloutPath(dir, 'realm1', 'com.example.svc')).toBe(join(dir, 'rollouts', 'realm1', 'com.example.svc.json'))
      expect(rolloutPath(dir, 'r/x', '..a/b')).toBe(join(dir, 'rollouts', 'r%2Fx', '%2E%2Ea%2Fb.json'))
      const store = new RolloutStore(dir, 'realm1', 'com.example.svc')
      expect(store.read()).toBeNull()
      store.write(
        newState({
          kind: 'canary',
          url: 'ws://x',
          realm: 'realm1',
          uri: 'com.example.svc',
          registration: 7,
          old: [{ session: 1, authid: null, weight: 2, state: 'active' }],
          options: {},
        }),
      )
      expect(store.read()).toMatchObject({ kind: 'canary', registration: 7, old: [{ session: 1, weight: 2 }], pid: process.pid })
      expect(store.abortRequested()).toBe(false)
      store.requestAbort()
      expect(store.abortRequested()).toBe(true)
      store.remove()
      expect(store.read()).toBeNull()
      expect(store.abortRequested()).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
