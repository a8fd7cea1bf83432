import { describe, expect, it } from 'vitest'
import { META_EVENT_TOPICS, type MetaEvent } from '../../src/ops/meta-events.js'
import { connFlags, spawnCli, type CliProcess } from '../support/cli.js'
import { openPeer } from '../support/peers.js'
import { oneErrorLine, readRouter, wampctlClient } from './read-fixtures.js'

/**
 * Start `wampctl events …` and resolve once it has subscribed to its last topic (the router
 * publishes no meta events about its own topics, so: a bounded wait until wamp.subscription.lookup
 * finds it), so what the test does next is tailed.
 */
async function tail(url: string, args: string[], extensions = true): Promise<CliProcess> {
  const last = extensions ? META_EVENT_TOPICS[META_EVENT_TOPICS.length - 1] : 'wamp.subscription.on_delete'
  const observer = await wampctlClient(url, true)
  const cli = spawnCli(['events', ...args, ...connFlags(url)])
  let ended = false
  void cli.done.then(() => (ended = true))
  const deadline = Date.now() + 10_000
  for (let i = 0; i < 1000 && !ended && Date.now() < deadline; i++) {
    if ((await observer.call('wamp.subscription.lookup', [last])).args[0] != null) return cli
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`events did not subscribe in time; stderr: ${cli.stderr}`)
}

describe('wampctl events', () => {
  it('--json: one JSON line per session, registration and callee-state event, in order, until --count', async () => {
    const router = await readRouter()
    const admin = await wampctlClient(router.url)
    const cli = await tail(router.url, ['--json', '--count', '7'])
    const w = await openPeer('wampy', router.url, 'msgpack')
    const regId = await w.register('com.example.x', () => ({ args: [1] }))
    await admin.call('wampctl.callee.cordon', [w.id, regId])
    await w.leave()
    const r = await cli.done
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MetaEvent)
    expect(events.map((e) => e.kind)).toEqual(['join', 'reg-create', 'register', 'state', 'unregister', 'reg-delete', 'leave'])
    expect(events.map((e) => e.topic)).toEqual([
      'wamp.session.on_join',
      'wamp.registration.on_create',
      'wamp.registration.on_register',
      'wampctl.callee.on_state',
      'wamp.registration.on_unregister',
      'wamp.registration.on_delete',
      'wamp.session.on_leave',
    ])
    for (const e of events) {
      expect(e.session).toBe(w.id)
      expect(Number.isNaN(Date.parse(e.at))).toBe(false)
    }
    const authid = events[0]!.authid
    expect(events[0]).toEqual({
      at: expect.any(String),
      topic: 'wamp.session.on_join',
      kind: 'join',
      session: w.id,
      authid: expect.any(String),
      authrole: 'anonymous',
      authmethod: 'anonymous',
    })
    expect(events[1]).toEqual({
      at: expect.any(String),
      topic: 'wamp.registration.on_create',
      kind: 'reg-create',
      session: w.id,
      authid,
      authrole: 'anonymous',
      registration: regId,
      uri: 'com.example.x',
      match: 'exact',
      invoke: 'single',
    })
    expect(events[2]).toEqual({
      at: expect.any(String),
      topic: 'wamp.registration.on_register',
      kind: 'register',
      session: w.id,
      authid,
      authrole: 'anonymous',
      registration: regId,
      uri: 'com.example.x',
    })
    expect(events[3]).toEqual({
      at: expect.any(String),
      topic: 'wampctl.callee.on_state',
      kind: 'state',
      session: w.id,
      authid,
      authrole: 'anonymous',
      registration: regId,
      uri: 'com.example.x',
      state: 'cordoned',
      weight: 1,
      cause: 'cordon',
    })
    expect(events[5]).toMatchObject({ registration: regId, uri: 'com.example.x' })
    expect(events[6]).toEqual({
      at: expect.any(String),
      topic: 'wamp.session.on_leave',
      kind: 'leave',
      session: w.id,
      authid,
      authrole: 'anonymous',
    })
  })

  it('human lines: time, kind, URI and who; subscriptions too', async () => {
    const router = await readRouter()
    const cli = await tail(router.url, ['--count', '5'])
    const a = await openPeer('autobahn', router.url, 'json', { authid: 'alice' })
    await a.register('com.example.add', () => ({ args: [0] }))
    await a.subscribe('com.example.news', () => {})
    const r = await cli.done
    expect(r.code, r.stderr).toBe(0)
    const who = `session ${a.id} \\(authid alice, role anonymous\\)`
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d join +session ${a.id} \\(authid alice, role anonymous, anonymous\\)$`))
    expect(lines[1]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d reg-create +com\\.example\\.add \\[exact, single\\]  ${who}$`))
    expect(lines[2]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d register +com\\.example\\.add  ${who}$`))
    expect(lines[3]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d sub-create +com\\.example\\.news \\[exact\\]  ${who}$`))
    expect(lines[4]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d subscribe +com\\.example\\.news  ${who}$`))
  })

  it('works on a router without the extensions and stops with exit 0 on Ctrl-C', async () => {
    const router = await readRouter(false)
    const cli = await tail(router.url, ['--json'], false)
    const a = await openPeer('wampy', router.url, 'json')
    await a.register('com.example.y', () => ({ args: [0] }))
    await cli.waitFor((out) => out.split('\n').filter((l) => l.length > 0).length >= 3)
    cli.signal('SIGINT')
    const r = await cli.done
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as MetaEvent).kind),
    ).toEqual(['join', 'reg-create', 'register'])
  })

  it('ends with exit 1 and one line when the router goes away', async () => {
    const router = await readRouter()
    const cli = await tail(router.url, [])
    await router.close()
    const r = await cli.done
    expect(r.code).toBe(1)
    expect(oneErrorLine(r.stderr)).toMatch(/^wampctl: the router closed the session/)
  })
})
