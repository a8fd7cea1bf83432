import { afterEach, describe, expect, it } from 'vitest'
import { LiveFeed } from '../../src/ui/live/feed.js'
import { calleeRows, registrationRows } from '../../src/ui/live/rows.js'
import { adminMeta, callee, liveRouter, load, until } from './live-fixture.js'

const feeds: LiveFeed[] = []
afterEach(async () => {
  await Promise.all(feeds.splice(0).map((f) => f.stop()))
})

async function startFeed(...args: Parameters<typeof LiveFeed.start>): Promise<LiveFeed> {
  const f = await LiveFeed.start(...args)
  feeds.push(f)
  return f
}

const on = (feed: LiveFeed) => (l: () => void) => feed.onChange(l)

describe('live feed against a real router with real callees', () => {
  it('builds registrations, callees in order, calls/s, shares and spread from one snapshot and the stats ticks', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    const a = await callee(router, 'feed.add', 'add-1')
    const b = await callee(router, 'feed.add', 'add-2')
    const c = await callee(router, 'feed.add', 'add-3')
    await load(router, ['feed.add'], 150)
    const feed = await startFeed(await adminMeta(router))
    expect(feed.mode).toBe('live')
    expect(feed.intervalMs).toBe(100)
    const reg = () => registrationRows(feed.model).find((r) => r.uri === 'feed.add')
    await until(on(feed), () => feed.model.ticks >= 6 && (reg()?.rate ?? 0) > 0, 'six ticks with calls')
    const row = reg()!
    expect(row.invoke).toBe('roundrobin')
    expect(row.callees).toBe(3)
    expect(row.errors).toBe(0)
    // roundrobin: an even spread
    expect(row.spread).not.toBeNull()
    expect(row.spread!).toBeGreaterThanOrEqual(1)
    expect(row.spread!).toBeLessThan(2)
    const callees = calleeRows(feed.model, row.id)
    expect(callees.map((x) => [x.session, x.authid, x.state])).toEqual([
      [a.session, 'add-1', 'active'],
      [b.session, 'add-2', 'active'],
      [c.session, 'add-3', 'active'],
    ])
    for (const x of callees) {
      expect(x.share!).toBeGreaterThan(0.2)
      expect(x.share!).toBeLessThan(0.46)
      expect(x.calls!).toBeGreaterThan(0)
      expect(x.history.length).toBeGreaterThan(0)
    }
  })

  it('re-snapshots when the structure changes (a callee joins, one leaves), not on every tick', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    await callee(router, 'feed.svc', 'svc-1')
    const gone = await callee(router, 'feed.svc', 'svc-2')
    await load(router, ['feed.svc'], 50)
    const feed = await startFeed(await adminMeta(router), { resnapshotDelayMs: 50, resnapshotMaxWaitMs: 200 })
    const reg = () => registrationRows(feed.model).find((r) => r.uri === 'feed.svc')!
    await until(on(feed), () => feed.model.ticks >= 2, 'two ticks')

    const joined = await callee(router, 'feed.svc', 'svc-3')
    await until(
      on(feed),
      () => calleeRows(feed.model, reg().id).some((x) => x.session === joined.session && x.authid === 'svc-3'),
      'the new callee with its authid',
    )
    await gone.client.close()
    await until(on(feed), () => calleeRows(feed.model, reg().id).every((x) => x.session !== gone.session), 'the callee that left to go')
    expect(calleeRows(feed.model, reg().id).map((x) => x.authid)).toEqual(['svc-1', 'svc-3'])

    // Now nothing changes but the counters: ten more ticks take no snapshot.
    await until(on(feed), () => feed.model.ticks >= 4, 'ticks')
    const snapshots = feed.snapshots
    const ticks = feed.model.ticks
    await until(on(feed), () => feed.model.ticks >= ticks + 10, 'ten more ticks')
    expect(feed.snapshots).toBe(snapshots)

    // A registration created and deleted shows up and goes, and the log says so.
    const other = await callee(router, 'feed.other', 'other-1')
    await until(on(feed), () => registrationRows(feed.model).some((r) => r.uri === 'feed.other' && r.callees === 1), 'feed.other')
    await other.client.close()
    await until(on(feed), () => !registrationRows(feed.model).some((r) => r.uri === 'feed.other'), 'feed.other to go')
    const log = feed.events.since().map((e) => e.text)
    expect(log).toContain('create feed.other (roundrobin)')
    expect(log).toContain('delete feed.other')
    expect(log.some((t) => t.startsWith(`leave ${gone.session}`))).toBe(true)
  })

  it('a callee that leaves while a snapshot is on its way stays gone when that older snapshot lands', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    await callee(router, 'feed.race', 'race-1')
    const gone = await callee(router, 'feed.race', 'race-2')
    const meta = await adminMeta(router)
    // The real snapshot, held after the router answered: it stands for a RESULT read in the same
    // chunk as the meta events that follow it (those are applied first).
    const real = meta.snapshot.bind(meta)
    let taken: () => void = () => {}
    const takenP = new Promise<void>((r) => (taken = r))
    let release: (() => void) | undefined
    let hold = false
    meta.snapshot = async () => {
      const snap = await real()
      if (hold && release === undefined) {
        taken()
        await new Promise<void>((r) => (release = r))
      }
      return snap
    }
    const f = await startFeed(meta, { resnapshotDelayMs: 10, resnapshotMaxWaitMs: 50 })
    hold = true
    const id = registrationRows(f.model).find((r) => r.uri === 'feed.race')!.id
    // a structural change: a snapshot is taken (with race-1, race-2, race-3) and held
    await callee(router, 'feed.race', 'race-3')
    await takenP
    const before = f.snapshots
    await gone.client.close()
    await until(on(f), () => f.events.since().some((e) => e.text.startsWith(`leave ${gone.session}`)), 'race-2 to leave')
    release!()
    await until(on(f), () => f.snapshots > before, 'the held snapshot to land')
    expect(calleeRows(f.model, id).map((x) => x.authid)).toEqual(['race-1', 'race-3'])
  })

  it('applies cordon / uncordon from wampctl.callee.on_state', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    const a = await callee(router, 'feed.state', 'st-1')
    await callee(router, 'feed.state', 'st-2')
    const meta = await adminMeta(router)
    const feed = await startFeed(meta)
    const id = registrationRows(feed.model).find((r) => r.uri === 'feed.state')!.id
    await meta.cordon(a.session, id)
    await until(on(feed), () => feed.model.callee(id, a.session)?.state === 'cordoned', 'cordoned')
    expect(registrationRows(feed.model)[0]!.active).toBe(1)
    await meta.uncordon(a.session, id)
    await until(on(feed), () => feed.model.callee(id, a.session)?.state === 'active', 'active again')
    expect(feed.events.since().some((e) => e.kind === 'state' && e.text === `cordoned feed.state ${a.session} (cordon)`)).toBe(true)
  })

  it('polls the standard meta API against a router without the extensions', async () => {
    const router = await liveRouter({ extensions: false })
    await callee(router, 'plain.svc', 'p-1')
    const feed = await startFeed(await adminMeta(router), { intervalMs: 150 })
    expect(feed.mode).toBe('polling')
    expect(feed.intervalMs).toBe(150)
    expect(feed.events.since()[0]!.text).toContain('polling the standard meta API every 150 ms')
    const second = await callee(router, 'plain.svc', 'p-2')
    const reg = () => registrationRows(feed.model).find((r) => r.uri === 'plain.svc')
    await until(on(feed), () => reg()?.callees === 2, 'the second callee by polling')
    const rows = calleeRows(feed.model, reg()!.id)
    expect(rows[1]!.session).toBe(second.session)
    expect(rows.map((r) => [r.state, r.rate, r.calls])).toEqual([
      ['unknown', null, null],
      ['unknown', null, null],
    ])
    expect([reg()!.rate, reg()!.inflight, reg()!.errors]).toEqual([null, null, null])
  })
})
