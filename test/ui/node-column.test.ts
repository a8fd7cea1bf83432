import { describe, expect, it } from 'vitest'
import type { SnapshotView } from '../../src/client/views.js'
import { detailOf } from '../../src/ops/registration-summary.js'
import { calleeColumnsOf, calleeTable, CALLEE_COLUMNS, fitColumns, hasNodes } from '../../src/ui/dashboard/view.js'
import { LiveModel } from '../../src/ui/live/model.js'
import { calleeRows } from '../../src/ui/live/rows.js'
import { renderRegistrationDetail } from '../../src/ui/registrations-view.js'
import { renderSessionList } from '../../src/ui/sessions-view.js'
import { calleeColumns, calleeHeaderColumns, header } from '../../src/ui/top/layout.js'
import { tableRows } from '../commands/read-fixtures.js'

/**
 * The NODE column of registrations show, sessions list, top and dashboard: present only when some
 * row carries a node (a cluster), after SESSION; a single router's tables stay exactly as they were.
 */

function snapshot(nodes: Array<string | undefined>): SnapshotView {
  return {
    at: '2026-01-01T00:00:00.000Z',
    realm: 'realm1',
    extensions: true,
    registrations: [
      {
        id: 7,
        uri: 'com.example.add',
        match: 'exact',
        invoke: 'roundrobin',
        created: null,
        queued: 0,
        callees: nodes.map((node, i) => ({
          session: 100 + i,
          ...(node === undefined ? {} : { node }),
          authid: `w${i}`,
          authrole: 'x',
          state: 'active' as const,
          weight: 1,
          calls: 0,
          errors: 0,
          inflight: 0,
          p50_ms: null,
          p99_ms: null,
          last_call_at: null,
          recent: { calls: 0, errors: 0, window_ms: 10_000 },
        })),
      },
    ],
  }
}

describe('NODE column', () => {
  it('registrations show: NODE after SESSION on a cluster, none on a single router', () => {
    const cluster = tableRows(renderRegistrationDetail(detailOf(snapshot(['a', 'b']).registrations[0]!)))
    const header = cluster.find((r) => r[0] === 'SESSION')!
    expect(header.slice(0, 3)).toEqual(['SESSION', 'NODE', 'AUTHID'])
    expect(cluster.find((r) => r[0] === '101')!.slice(0, 3)).toEqual(['101', 'b', 'w1'])
    const single = tableRows(renderRegistrationDetail(detailOf(snapshot([undefined, undefined]).registrations[0]!)))
    expect(single.find((r) => r[0] === 'SESSION')!.slice(0, 2)).toEqual(['SESSION', 'AUTHID'])
    expect(detailOf(snapshot([undefined]).registrations[0]!).callees[0]).not.toHaveProperty('node')
    expect(detailOf(snapshot(['c']).registrations[0]!).callees[0]).toMatchObject({ node: 'c' })
  })

  it('sessions list: NODE after SESSION when sessions have nodes', () => {
    const row = (session: number, node?: string) => ({
      session,
      ...(node === undefined ? {} : { node }),
      authid: 'x',
      authrole: 'anonymous',
      authmethod: 'anonymous',
      transport: null,
      registrations: 0,
      subscriptions: 0,
    })
    expect(tableRows(renderSessionList([row(1, 'a'), row(2, 'c')]))[0]!.slice(0, 3)).toEqual(['SESSION', 'NODE', 'AUTHID'])
    expect(tableRows(renderSessionList([row(1, 'a'), row(2, 'c')]))[2]!.slice(0, 2)).toEqual(['2', 'c'])
    expect(tableRows(renderSessionList([row(1), row(2)]))[0]!.slice(0, 2)).toEqual(['SESSION', 'AUTHID'])
  })

  it('top and dashboard: the callee rows carry the node; NODE shows only when some callee has one', () => {
    const m = new LiveModel()
    m.applySnapshot(snapshot(['node-a', 'b']))
    const rows = calleeRows(m, 7)
    expect(rows.map((r) => r.node)).toEqual(['node-a', 'b'])
    expect(hasNodes(rows)).toBe(true)
    const layout = calleeColumns(160, 3, 6)
    expect(header(calleeHeaderColumns(layout)).trim().split(/\s+/).slice(0, 4)).toEqual(['#', 'SESSION', 'NODE', 'AUTHID'])
    expect(calleeColumns(160, 3).node).toBeNull()
    expect(calleeTable(rows, -1, true)[0]!.slice(1, 3)).toEqual(['100', 'node-a'])
    expect(fitColumns(calleeColumnsOf(true), 120).headers.slice(0, 3)).toEqual([' #', 'SESSION', 'NODE'])
    expect(calleeColumnsOf(false)).toBe(CALLEE_COLUMNS)

    const single = new LiveModel()
    single.applySnapshot(snapshot([undefined]))
    const plain = calleeRows(single, 7)
    expect(hasNodes(plain)).toBe(false)
    expect(calleeTable(plain, -1)[0]).toHaveLength(CALLEE_COLUMNS.length)
  })
})
