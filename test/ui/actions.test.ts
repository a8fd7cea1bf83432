import { describe, expect, it } from 'vitest'
import { actionFailure, opsActions } from '../../src/ui/live/actions.js'
import { adminMeta, callee, liveRouter } from './live-fixture.js'

/** The live views' keys act through src/ops: the same safety rules as `wampctl cordon|drain|evict`, against a real router. */
describe('live view actions', () => {
  it('d, c and e on the last callee that takes calls are refused, as wampctl drain, cordon and evict refuse them; nothing changes', async () => {
    const router = await liveRouter()
    const a = await callee(router, 'act.svc', 'act-1')
    const b = await callee(router, 'act.svc', 'act-2')
    const meta = await adminMeta(router)
    const reg = (await meta.snapshot()).registrations.find((r) => r.uri === 'act.svc')!
    const actions = opsActions(() => meta)
    const target = (session: number, authid: string) => ({ registration: reg.id, uri: reg.uri, session, authid })

    // act-2 cordoned: act-1 is the last callee that takes calls
    expect(await actions.cordon(target(b.session, 'act-2'), () => {})).toBe(`cordoned act.svc ${b.session}`)
    for (const action of ['drain', 'cordon', 'evict'] as const) {
      const err = await actions[action](target(a.session, 'act-1'), () => {}).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, action).toBeDefined()
      expect(actionFailure(action, err)).toMatch(new RegExp(`^${action} refused: .*last .*callee.* act\\.svc`))
      expect(actionFailure(action, err)).not.toContain('--force')
      expect(actionFailure(action, err)).toMatch(/start or uncordon another callee first$/)
    }
    const states = (await meta.describe(reg.id)).callees.map((c) => [c.session, c.state])
    expect(states).toEqual([
      [a.session, 'active'],
      [b.session, 'cordoned'],
    ])

    // with another callee taking calls again, the drain goes through (and leaves act-1 cordoned)
    expect(await actions.uncordon(target(b.session, 'act-2'), () => {})).toBe(`uncordoned act.svc ${b.session}`)
    const progress: string[] = []
    expect(await actions.drain(target(a.session, 'act-1'), (l) => progress.push(l))).toMatch(
      new RegExp(`^drained act\\.svc ${a.session} in \\d+ ms`),
    )
    expect(progress[0]).toBe(`draining act.svc ${a.session}…`)
    expect((await meta.describe(reg.id)).callees.find((c) => c.session === a.session)!.state).toBe('cordoned')
  })
})
