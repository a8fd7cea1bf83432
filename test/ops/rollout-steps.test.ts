import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/client/errors.js'
import { formatSteps, parseSteps } from '../../src/ops/rollout/index.js'
import { canaryWeight } from '../../src/router/extensions/rollout/weights.js'
import { startRouter } from '../support/router.js'
import { canarySpec, opsRollouts, ROUTER_OPTIONS, startCallee, URI } from './rollout-fixture.js'

describe('rollout steps', () => {
  it('parses rising percentages ending at 100 with timed and open pauses between them', () => {
    expect(parseSteps('10,pause:5m,50,pause,100')).toEqual([
      { percent: 10 },
      { pause_ms: 300_000 },
      { percent: 50 },
      { pause_ms: null },
      { percent: 100 },
    ])
    expect(parseSteps('25%, 100')).toEqual([{ percent: 25 }, { percent: 100 }])
    expect(formatSteps(parseSteps('10,pause:5m,100'))).toBe('10,pause:300000ms,100')
  })

  it('refuses anything else with a usage error (exit 2)', () => {
    for (const bad of ['pause,50,100', '50,10,100', '10,50', '0,100', '10,pause:soon,100', '10,,100', 'x']) {
      const err = (() => {
        try {
          parseSteps(bad)
        } catch (e) {
          return e
        }
        return undefined
      })()
      expect(err, bad).toBeInstanceOf(UsageError)
      expect((err as UsageError).exitCode).toBe(2)
    }
  })

  it('gives the canary the weight for its share next to the old callees', () => {
    expect(canaryWeight(25, 3)).toBe(1)
    expect(canaryWeight(50, 3)).toBe(3)
    expect(canaryWeight(1, 3)).toBeCloseTo(0.0303, 4)
  })

  it('the router checks a submitted spec field by field and records nothing for a bad one', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    await startCallee(router.url, 'autobahn', 'old')
    const rc = await opsRollouts(router.url)
    await expect(rc.start(canarySpec({ steps: [{ percent: 50 }, { percent: 20 }, { percent: 100 }] }))).rejects.toThrow(
      /steps: percentages must rise/,
    )
    await expect(rc.start(canarySpec({ steps: [{ pause_ms: null }, { percent: 100 }] }))).rejects.toThrow(
      /a pause cannot come before the first traffic step/,
    )
    await expect(rc.start(canarySpec({ max_error_rate: 2 }))).rejects.toThrow(/max_error_rate must be a fraction/)
    await expect(rc.start(canarySpec({ failure_limit: 0 }))).rejects.toThrow(/failure_limit must be an integer of at least 1/)
    await expect(rc.start({ ...canarySpec(), uri: 'com.example.nothing' })).rejects.toThrow(/no registration/)
    expect(await rc.list()).toEqual([])
    expect(await rc.history(URI)).toEqual([])
  })
})
