import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { MetaRecorder } from '../support/meta.js'
import { openPeer } from '../support/peers.js'
import { startRouter } from '../support/router.js'

/**
 * A client in another language: Debian's python3-autobahn (for /usr/bin/python3; .ci/run installs
 * it) registers two round-robin callees and calls wamp.registration.lookup / list_callees.
 */

const PYTHON = '/usr/bin/python3'
const FIXTURE = fileURLToPath(new URL('../fixtures/python_roundrobin.py', import.meta.url))
const DEADLINE_MS = 20_000

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL')
})

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

/** Run the fixture against `url`; resolves with its JSON line once it exits 0 (or fails with its output). */
function runFixture(url: string, serializer: string): Promise<FixtureOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [FIXTURE, url, serializer], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      reject(new Error(`python fixture did not finish within ${DEADLINE_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, DEADLINE_MS)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`cannot run ${PYTHON}: ${err.message}`))
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`python fixture exited ${code}\nstdout: ${stdout}\nstderr: ${stderr.slice(-2000)}`))
      try {
        resolve(JSON.parse(line) as FixtureOutput)
      } catch {
        reject(new Error(`python fixture printed no JSON: ${stdout}\nstderr: ${stderr.slice(-2000)}`))
      }
    })
  })
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
      const out = await runFixture(router.url, ser)

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
