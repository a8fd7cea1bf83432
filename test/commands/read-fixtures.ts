import { createServer } from 'node:net'
import { expect } from 'vitest'
import type { Router } from '../../src/router/router.js'
import { opsClient, startOpsRouter } from '../support/ops-realm.js'

/** Helpers of the read-side command suites (registrations, sessions, events, publish). */

export { ADMIN } from '../support/ops-realm.js'

export function readRouter(extensions = true): Promise<Router> {
  // A one-minute stats interval: the recent window (10 ticks) then spans every call a test makes,
  // however slowly the machine runs it, so shares and spreads are exact, not timing-dependent.
  return startOpsRouter({ extensions, statsIntervalMs: 60_000 })
}

/** A wampctl client session (admin unless `anonymous`), closed after the test. */
export const wampctlClient = opsClient

/** ws:// URL of a port nothing listens on (bound, then closed). */
export async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise<void>((r) => server.close(() => r()))
  return `ws://127.0.0.1:${port}/ws`
}

/** An aligned table as rows of cells (split on runs of 2+ spaces); row 0 is the header. */
export function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => l.trim().split(/\s{2,}/))
}

/** The table row whose first cell is `key`, as {HEADER: cell}. */
export function rowOf(text: string, key: string | number, headerLine = 0): Record<string, string> {
  const rows = tableRows(text)
  const header = rows[headerLine]!
  const row = rows.slice(headerLine + 1).find((r) => r[0] === String(key))
  expect(row, `no row ${key} in\n${text}`).toBeDefined()
  expect(row!.length, `row ${key} has ${row!.length} cells for ${header.length} columns:\n${text}`).toBe(header.length)
  return Object.fromEntries(header.map((h, i) => [h, row![i]!]))
}

/** stderr holds exactly one line, `wampctl: …`, and no stack trace; returns it. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^wampctl: /)
  expect(stderr).not.toMatch(/\n\s+at /)
  return lines[0]!
}
