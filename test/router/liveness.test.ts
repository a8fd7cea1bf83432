import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { asFailure, failureOf, openPeer } from '../support/peers.js'
import { MetaRecorder, REGISTRATION_EVENTS, SESSION_EVENTS } from '../support/meta.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** Frozen and silent peers: liveness pings drop them like lost sessions; handshakes must finish in time. */

const RR = 'com.example.rr'
const CALLEE_SCRIPT = fileURLToPath(new URL('../fixtures/rr-callee.mjs', import.meta.url))
const children: ChildProcess[] = []

afterEach(() => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue
    process.kill(c.pid!, 'SIGCONT')
    process.kill(c.pid!, 'SIGKILL')
  }
})

/** A callee in its own node process (autobahn), registered on RR; resolves once it is registered. */
function calleeProcess(url: string, name: string): Promise<{ child: ChildProcess; sessionId: number }> {
  const child = spawn(process.execPath, [CALLEE_SCRIPT, url, RR, name], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`callee process ${name} not ready within 10 s`)), 10_000)
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /ready (\d+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve({ child, sessionId: Number(m[1]) })
      }
    })
    child.once('exit', (code) => reject(new Error(`callee process ${name} exited with ${code} before it was ready`)))
  })
}

function recordingLogger(): { warnings: string[]; logger: { info: () => void; warn: (m: string) => void; error: (m: string) => void } } {
  const warnings: string[] = []
  return { warnings, logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error: ${m}`) } }
}

describe('liveness: a frozen peer is dropped like a lost session', () => {
  it('a SIGSTOPped callee among three round-robin callees: its calls are canceled, it is removed, the other two serve everything', async () => {
    const { warnings, logger } = recordingLogger()
    const router = await startRouter({ liveness: { pingIntervalMs: 200, pongTimeoutMs: 2000 }, logger })
    const monitor = await openPeer('autobahn', router.url)
    const meta = await MetaRecorder.start(monitor, [...SESSION_EVENTS, ...REGISTRATION_EVENTS])
    const names: string[] = []
    for (const name of ['a', 'b']) {
      const p = await openPeer('autobahn', router.url)
      await p.register(RR, () => ({ args: [name] }), { invoke: 'roundrobin' })
      names.push(name)
    }
    const frozen = await calleeProcess(router.url, 'frozen')
    // A bystander with its own procedure, calling all along.
    const bystanderCallee = await openPeer('wampy', router.url)
    await bystanderCallee.register('com.example.bystander', (inv) => ({ args: inv.args }))
    const bystander = await openPeer('autobahn', router.url)
    const caller = await openPeer('wampy', router.url)

    process.kill(frozen.child.pid!, 'SIGSTOP')
    const calls = Array.from({ length: 6 }, () => caller.call(RR).then((r) => r.args[0] as string, asFailure))
    const bystanderCalls = Array.from({ length: 20 }, (_, i) => bystander.call('com.example.bystander', [i]))

    const unregistered = await meta.waitForTopic('wamp.registration.on_unregister', 0, frozen.sessionId)
    const left = await meta.waitForTopic('wamp.session.on_leave', 0, frozen.sessionId)
    expect(meta.events.indexOf(unregistered)).toBeLessThan(meta.events.indexOf(left))

    const outcomes = await Promise.all(calls)
    const canceled = outcomes.filter((o) => typeof o !== 'string')
    expect(canceled).toHaveLength(2) // round-robin over three: every third call went to the frozen one
    for (const f of canceled) expect(f.uri).toBe('wamp.error.canceled')
    expect(outcomes.filter((o) => typeof o === 'string').sort()).toEqual(['a', 'a', 'b', 'b'])

    const after = await Promise.all(Array.from({ length: 10 }, () => caller.call(RR)))
    expect(after.map((r) => r.args[0]).sort()).toEqual([...Array(5).fill('a'), ...Array(5).fill('b')])
    expect((await Promise.all(bystanderCalls)).map((r) => r.args[0])).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect((await failureOf(monitor.call('wamp.session.get', [frozen.sessionId]))).uri).toBe('wamp.error.no_such_session')
    expect(warnings.filter((w) => w.includes('liveness_timeout'))).toHaveLength(1)

    process.kill(frozen.child.pid!, 'SIGCONT')
  })

  it('a peer that answers pings stays, however long it is quiet', async () => {
    const { warnings, logger } = recordingLogger()
    const router = await startRouter({ liveness: { pingIntervalMs: 50, pongTimeoutMs: 1000 }, logger })
    const quiet = await RawPeer.joined(router.url)
    const pings = new Promise<void>((resolve) => {
      let n = 0
      quiet.ws.on('ping', () => {
        if (++n === 3) resolve()
      })
    })
    await pings
    expect((await quiet.call('wamp.session.count'))[3]).toEqual([1])
    expect(warnings).toEqual([])
  })

  it('a realm may override the router-wide liveness settings (0 turns them off)', async () => {
    const router = await startRouter({
      liveness: { pingIntervalMs: 50, pongTimeoutMs: 1000 },
      realms: ['realm1', { name: 'quiet', liveness: { pingIntervalMs: 0 } }],
    })
    expect(router.realm('realm1')!.liveness).toEqual({ pingIntervalMs: 50, pongTimeoutMs: 1000 })
    expect(router.realm('quiet')!.liveness).toEqual({ pingIntervalMs: 0, pongTimeoutMs: 1000 })
    const pinged = await RawPeer.joined(router.url)
    await new Promise((resolve) => pinged.ws.once('ping', resolve))
  })
})

describe('handshake timeout', () => {
  it('closes a connection that never sends HELLO, and one that never answers its CHALLENGE; sessions are untouched', async () => {
    const { warnings, logger } = recordingLogger()
    const router = await startRouter({
      handshakeTimeoutMs: 300,
      logger,
      realms: ['realm1', { name: 'locked', auth: { ticket: { alice: { ticket: 'secret', role: 'anonymous' } } } }],
    })
    const member = await RawPeer.joined(router.url)
    const idle = await RawPeer.open(router.url)
    const stuck = await RawPeer.open(router.url)
    const challenge = await stuck.hello('locked', { authmethods: ['ticket'], authid: 'alice' })
    expect(challenge[0]).toBe(4)

    await idle.closed
    const abort = await stuck.nextOf(3)
    expect(abort[2]).toBe('wamp.error.timeout')
    await stuck.closed
    expect(warnings.filter((w) => w.includes('handshake_timeout'))).toHaveLength(2)
    expect(warnings.some((w) => w.includes('no HELLO within 300 ms'))).toBe(true)
    expect(warnings.some((w) => w.includes('no AUTHENTICATE'))).toBe(true)
    // The established session outlived both timeouts.
    expect((await member.call('wamp.session.count'))[3]).toEqual([1])
  })
})
