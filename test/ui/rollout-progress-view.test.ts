import { render } from 'ink-testing-library'
import { createElement } from 'react'
import { describe, expect, it } from 'vitest'
import type { RolloutEvent, WindowStats } from '../../src/protocol/rollout.js'
import { eventLine } from '../../src/ui/rollout/lines.js'
import { ProgressView } from '../../src/ui/rollout/progress-view.js'
import { ViewStore } from '../../src/ui/rollout/view-state.js'

const window: WindowStats = {
  canary: { calls: 40, errors: 2, error_rate: 0.05, p99_ms: 12.5, inflight: 1 },
  rest: { calls: 120, errors: 0, error_rate: 0, p99_ms: 8, inflight: 3 },
  share: 0.25,
  elapsed_ms: 1500,
}

/** Resolves once the rendered frame satisfies `check` (bounded). */
async function frameWhere(lastFrame: () => string | undefined, check: (f: string) => boolean): Promise<string> {
  const deadline = Date.now() + 5000
  for (;;) {
    const f = lastFrame() ?? ''
    if (check(f)) return f
    if (Date.now() > deadline) throw new Error(`no frame matched; last:\n${f}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('rollout live view (ink)', () => {
  it('shows the step, the weights, canary against rest, the time to the next step, then the rollback', async () => {
    const store = new ViewStore()
    const { lastFrame, unmount } = render(
      createElement(ProgressView, { store, title: 'rollout canary com.example.svc', gates: 'error rate ≤ 1%' }),
    )
    store.apply({
      event: 'canary',
      uri: 'com.example.svc',
      registration: 1,
      canary: { session: 42, authid: 'svc-v2' },
      old: [{ session: 1, authid: null, weight: 1, state: 'active' }],
    })
    store.apply({
      event: 'step',
      step: 1,
      steps: 3,
      percent: 25,
      canary_weight: 0.333333,
      old_weights: [{ session: 1, weight: 1 }],
      interval_ms: 30_000,
      next_step_at: new Date(Date.now() + 30_000).toISOString(),
    })
    store.apply({ event: 'sample', step: 1, percent: 25, window, next_step_in_ms: 20_000 })
    const frame = await frameWhere(lastFrame, (f) => f.includes('canary share'))
    expect(frame).toContain('canary session 42 (svc-v2)')
    expect(frame).toContain('step 1/3')
    expect(frame).toMatch(/next check in \d+(\.\d)?s/)
    expect(frame).toContain('25% of the traffic · canary weight 0.333 · old weights 1')
    expect(frame).toMatch(/canary\s+40\s+2\s+5%\s+12\.5 ms\s+1/)
    expect(frame).toMatch(/rest\s+120\s+0\s+0%\s+8 ms\s+3/)
    store.apply({
      event: 'gate',
      step: 1,
      percent: 25,
      window,
      action: 'rollback',
      verdict: 'breach',
      reason: 'canary error rate 5% (2 of 40 calls) is above --max-error-rate 1% (rest: 0%)',
      probe: null,
      failures: 1,
      successes: 0,
    })
    store.apply({
      event: 'rollback',
      reason: 'step 1 (25%): …',
      restored: [{ session: 1, weight: 1 }],
      canary: { session: 42, authid: 'svc-v2' },
      canary_drained: true,
    })
    store.apply({ event: 'completed', outcome: 'rolled_back', reason: 'step 1 (25%): …' })
    const after = await frameWhere(lastFrame, (f) => f.includes('rolled back'))
    expect(after).toContain('last gate: breach')
    expect(after).toContain('ROLLED BACK')
    // The phase line (second) has no countdown once the rollout ended.
    expect(after.split('\n')[1]).toContain('rolled back')
    expect(after.split('\n')[1]).not.toContain('next check in')
    unmount()
  })

  it('plain lines: one per event that matters, none for samples and drain progress', () => {
    const lines = (
      [
        { event: 'sample', step: 1, percent: 25, window, next_step_in_ms: 1 },
        { event: 'drain-progress', session: 1, inflight: 3 },
        {
          event: 'gate',
          step: 2,
          percent: 50,
          window,
          action: 'hold',
          verdict: 'inconclusive',
          reason: 'too few',
          probe: null,
          failures: 0,
          successes: 0,
        },
        {
          event: 'gate',
          step: 2,
          percent: 50,
          window,
          action: 'report',
          verdict: 'breach',
          reason: 'probe failed',
          probe: { uri: 'svc.health', session: 42, ok: false, error: 'timeout', elapsed_ms: 5 },
          failures: 2,
          successes: 1,
        },
        { event: 'paused', by: 'step', until: null, reason: 'step 2: pause' },
        { event: 'retired', callee: { session: 5, authid: null }, outcome: 'timeout', elapsed_ms: 30_000, drained: false },
      ] as RolloutEvent[]
    ).map(eventLine)
    expect(lines[0]).toBeNull()
    expect(lines[1]).toBeNull()
    expect(lines[2]).toBe(
      'step 2 50%: inconclusive (holding the step for another check) — canary 5% errors of 40 calls, p99 12.5 ms | rest 0% errors of 120 calls, p99 8 ms | canary share 25% — too few',
    )
    expect(lines[3]).toMatch(
      /^step 2 50%: breach \(dry run: reported, not rolled back\) \[2 consecutive failed\] — .* \| probe FAILED \(timeout\) — probe failed$/,
    )
    expect(lines[4]).toMatch(/^paused \(step 2: pause\): 'wampctl rollout promote' or 'resume' goes on$/)
    expect(lines[5]).toMatch(/session 5: drain timed out after 30s; it stays cordoned/)
  })
})
