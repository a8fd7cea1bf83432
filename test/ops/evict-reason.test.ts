import { describe, expect, it } from 'vitest'
import { reasonUri } from '../../src/ops/evict.js'

describe('reasonUri (revocation reasons must be URIs)', () => {
  it.each([
    [undefined, 'wampctl.evicted'],
    ['com.example.redeploy', 'com.example.redeploy'],
    ['Deploy v2!', 'wampctl.evicted.deploy_v2'],
    ['bad build #42 (rollback)', 'wampctl.evicted.bad_build_42_rollback'],
    ['maintenance', 'wampctl.evicted.maintenance'],
    ['Com.Example.Upper', 'wampctl.evicted.com_example_upper'],
    ['!!!', 'wampctl.evicted'],
    ['   ', 'wampctl.evicted'],
  ])('%j → %s', (text, uri) => {
    expect(reasonUri(text)).toBe(uri)
  })

  it('keeps long free text to a bounded, URI-safe reason', () => {
    const r = reasonUri('x '.repeat(200))
    expect(r).toMatch(/^wampctl\.evicted\.[a-z0-9_]+$/)
    expect(r.length).toBeLessThanOrEqual('wampctl.evicted.'.length + 64)
    expect(r.endsWith('_')).toBe(false)
  })
})
