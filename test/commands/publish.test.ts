import { describe, expect, it } from 'vitest'
import { connFlags, runCli } from '../support/cli.js'
import { openPeer, type Invocation } from '../support/peers.js'
import { oneErrorLine, readRouter } from './read-fixtures.js'

describe('wampctl publish', () => {
  it('publishes (acknowledged) positional JSON-or-string args and --kwargs, and prints the publication id', async () => {
    const router = await readRouter()
    const w = await openPeer('wampy', router.url, 'cbor')
    const a = await openPeer('autobahn', router.url, 'msgpack')
    const got: Invocation[] = []
    let delivered!: () => void
    const both = new Promise<void>((resolve) => (delivered = resolve))
    const on = (e: Invocation): void => {
      got.push(e)
      if (got.length === 2) delivered()
    }
    await w.subscribe('com.example.news', on)
    await a.subscribe('com.example.news', on)
    const r = await runCli([
      'publish',
      'com.example.news',
      'hello',
      '42',
      '{"a":1}',
      '--kwargs',
      '{"level":"info"}',
      ...connFlags(router.url),
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^\d+\n$/)
    await both
    for (const e of got) {
      expect(e.args).toEqual(['hello', 42, { a: 1 }])
      expect(e.kwargs).toEqual({ level: 'info' })
    }
    const json = await runCli(['publish', 'com.example.other', '--json', ...connFlags(router.url)])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({ topic: 'com.example.other', publication: expect.any(Number) })
  })

  it('refuses a router-reserved topic (exit 1) and a --kwargs that is not a JSON object (exit 2), one line each', async () => {
    const router = await readRouter()
    const [reserved, badKwargs, noTopic] = await Promise.all([
      runCli(['publish', 'wamp.session.on_join', '1', ...connFlags(router.url)]),
      runCli(['publish', 'com.example.news', '--kwargs', '[1,2]', ...connFlags(router.url)]),
      runCli(['publish', ...connFlags(router.url)]),
    ])
    expect(reserved.code).toBe(1)
    expect(oneErrorLine(reserved.stderr)).toMatch(/wamp\.error\.invalid_uri/)
    expect(badKwargs.code).toBe(2)
    expect(oneErrorLine(badKwargs.stderr)).toBe('wampctl: --kwargs must be a JSON object')
    expect(noTopic.code).toBe(2)
    oneErrorLine(noTopic.stderr)
  })
})
