import { describe, expect, it } from 'vitest'
import type { SnapshotView } from '../../src/client/views.js'
import { LiveModel } from '../../src/ui/live/model.js'
import { registrationRows } from '../../src/ui/live/rows.js'
import { listColumns } from '../../src/ui/top/layout.js'

/** top's QUEUED: from the snapshot, moved by `queued` in wampctl.stats.on_tick (synthetic wire shapes). */

const snap: SnapshotView = {
  at: '2026-01-01T00:00:00.000Z',
  realm: 'realm1',
  extensions: true,
  registrations: [
    {
      id: 1,
      uri: 'com.example.capped',
      match: 'exact',
      invoke: 'roundrobin',
      created: null,
      queued: 3,
      callees: [
        {
          session: 10,
          authid: null,
          authrole: null,
          state: 'active',
          weight: 1,
          calls: 5,
          errors: 0,
          inflight: 1,
          p50_ms: null,
          p99_ms: null,
          last_call_at: null,
        },
      ],
    },
  ],
}

describe('queued calls in the live views', () => {
  it('the snapshot sets a registration’s queue length and each tick that names it moves it', () => {
    const m = new LiveModel()
    m.applySnapshot(snap)
    expect(registrationRows(m)[0]!.queued).toBe(3)
    m.applyTick({ seq: 1, at: '2026-01-01T00:00:01.000Z', interval_ms: 1000, callees: [], queued: [[1, 7]] })
    expect(registrationRows(m)[0]!.queued).toBe(7)
    m.applyTick({ seq: 2, at: '2026-01-01T00:00:02.000Z', interval_ms: 1000, callees: [] })
    expect(registrationRows(m)[0]!.queued).toBe(7) // not named: unchanged
  })

  it('the QUEUED column appears only while calls wait, after IN FLIGHT', () => {
    expect(listColumns(120, 20).columns.map((c) => c.header)).not.toContain('QUEUED')
    const withQueue = listColumns(120, 20, true).columns.map((c) => c.header)
    expect(withQueue.indexOf('QUEUED')).toBe(withQueue.indexOf('IN FLIGHT') + 1)
  })
})
