import { describe, expect, it } from 'vitest'
import { MetaRecorder } from '../support/meta.js'
import { openPeer } from '../support/peers.js'
import { runPythonFixture } from '../support/python.js'
import { startRouter } from '../support/router.js'

/**
 * A client in another language: Debian's python3-autobahn (for /usr/bin/python3; .ci/run installs
 * it) registers two round-robin callees and calls wamp.registration.lookup / list_callees.
 */

interface FixtureOutput {
  serializer: string
  sessions: number[]
  registrations: number[]
  lookup: number
  lookup_miss: null
  callees: number[]
  count: number
  results: string[]
}

describe('python3-autobahn interop', () => {
  // msgpack: Python rejects a float where the spec wants an integer id, so this also proves the
  // router writes ids beyond 32 bits as msgpack integers.
  it.each(['json', 'msgpack'])(
    'over %s: two Python round-robin callees share one registration that lookup and list_callees report',
    async (ser) => {
      const router = await startRouter()
      const meta = await MetaRecorder.start(await openPeer('autobahn', router.url), [
        'wamp.registration.on_create',
        'wamp.registration.on_register',
        'wamp.session.on_leave',
      ])
      const out = await runPythonFixture<FixtureOutput>('python_roundrobin.py', [router.url, ser])

      expect(out.serializer).toBe(ser)
      expect(new Set(out.sessions).size).toBe(2)
      expect(out.registrations[0]).toBe(out.registrations[1])
      expect(out.lookup).toBe(out.registrations[0])
      expect(out.lookup_miss).toBeNull()
      expect(out.callees).toEqual(out.sessions)
      expect(out.count).toBe(2)
      expect(out.results).toEqual(['a', 'b', 'a', 'b'])

      // The router saw the same thing through its meta events.
      const created = await meta.waitForTopic('wamp.registration.on_create')
      expect(created.args).toEqual([
        out.sessions[0],
        expect.objectContaining({ id: out.lookup, uri: 'com.example.python.echo', match: 'exact', invoke: 'roundrobin' }),
      ])
      expect(meta.of('wamp.registration.on_register').map((e) => e.args)).toEqual(out.sessions.map((s) => [s, out.lookup]))
      for (const s of out.sessions) await meta.waitForTopic('wamp.session.on_leave', 0, s)
    },
  )
})
