import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/client/errors.js'
import { formatDuration, parseDuration } from '../../src/ops/duration.js'

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '30', 'abc', '10x', '5s junk', '-1s', '0s', '2d', '25h'])('refuses %j as a usage error (exit 2)', (text) => {
    let err: unknown
    try {
      parseDuration(text, '--timeout')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).exitCode).toBe(2)
    expect((err as UsageError).message).toContain('--timeout')
  })
})

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
  ])('writes %d ms as %s, which parses back to the same', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text)).toBe(ms)
  })
})

describe('parseDuration rules', () => {
  it('reads a bare number as milliseconds only where the flag always took milliseconds', () => {
    expect(parseDuration('500', '--interval', { bare: 'ms' })).toBe(500)
    expect(parseDuration('2s', '--interval', { bare: 'ms' })).toBe(2000)
    expect(() => parseDuration('500', '--timeout')).toThrow(/give a unit/)
  })

  it('accepts 0 only where it means something, and holds a minimum', () => {
    expect(parseDuration('0', '--sample', { bare: 'ms', zero: true })).toBe(0)
    expect(parseDuration('0s', '--sample', { zero: true })).toBe(0)
    expect(() => parseDuration('0', '--interval', { bare: 'ms' })).toThrow(/more than 0/)
    expect(() => parseDuration('50ms', '--interval', { minMs: 100 })).toThrow("bad --interval '50ms': must be at least 100ms")
    expect(parseDuration('100ms', '--interval', { minMs: 100 })).toBe(100)
  })
})
