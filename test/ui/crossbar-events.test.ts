import { afterEach, describe, expect, it } from 'vitest'
import { LiveFeed } from '../../src/ui/live/feed.js'
import { calleeRows, registrationRows } from '../../src/ui/live/rows.js'
import { adminMeta, callee, liveRouter } from './live-fixture.js'

/**
 * Crossbar's meta events, as recorded from Crossbar 21.3.1 (../shared/crossbar/README.md): after a
 * session closes (killed, disconnected) its on_unregister and on_delete carry a null session id,
 * and on_leave carries only the session id. The feed behind top and the dashboard gets these exact
 * shapes (its model comes from a real router). `wampctl events` on Crossbar: test/crossbar.
 */
const feeds: LiveFeed[] = []
afterEach(async () => {
  await Promise.all(feeds.splice(0).map((f) => f.stop()))
})

describe("Crossbar's meta event shapes", () => {
  it('top/dashboard feed: a bare on_leave names the authid the model knows and drops its callees; a null-session unregister and delete are shown and applied', async () => {
    const router = await liveRouter({ extensions: false })
    const a = await callee(router, 'cb.svc', 'svc-1')
    const b = await callee(router, 'cb.svc', 'svc-2')
    await callee(router, 'cb.other', 'other-1')
    const feed = await LiveFeed.start(await adminMeta(router), { intervalMs: 60_000 })
    feeds.push(feed)
    const svc = registrationRows(feed.model).find((r) => r.uri === 'cb.svc')!
    const other = registrationRows(feed.model).find((r) => r.uri === 'cb.other')!
    expect(calleeRows(feed.model, svc.id).map((c) => c.session)).toEqual([a.session, b.session])

    // svc-2 was killed: Crossbar says on_unregister [null, id], then on_leave [session]
    feed.applyMeta('wamp.registration.on_unregister', [null, svc.id])
    feed.applyMeta('wamp.session.on_leave', [b.session])
    expect(calleeRows(feed.model, svc.id).map((c) => c.session)).toEqual([a.session])
    // the last callee of cb.other closed: on_unregister and on_delete both with a null session
    feed.applyMeta('wamp.registration.on_unregister', [null, other.id])
    feed.applyMeta('wamp.registration.on_delete', [null, other.id])
    expect(registrationRows(feed.model).map((r) => r.uri)).toEqual(['cb.svc'])

    const log = feed.events.since().map((e) => e.text)
    expect(log).toContain('unregister cb.svc (a closed session)')
    expect(log).toContain(`leave ${b.session} svc-2`)
    expect(log).toContain('unregister cb.other (a closed session)')
    expect(log).toContain('delete cb.other')
  })
})
