import type autobahn from 'autobahn'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { autobahnSession, wampySession } from '../support/clients.js'
import { runCli, spawnCli, tempConfigDir, type CliProcess } from '../support/cli.js'
import { parseSamples, promtoolCheck, scrape, value } from '../support/prometheus.js'
import { RawPeer } from '../support/raw-peer.js'

/**
 * `wampctl router start --admin` as a real process: /healthz and /readyz through a graceful
 * shutdown under load (SIGTERM), zero failed calls, GOODBYE system_shutdown after the calls in
 * flight; a second signal stops at once; the logs are JSON lines.
 */

const URI = 'com.example.slow'

async function startRouter(args: string[]): Promise<{ proc: CliProcess; url: string; admin: string }> {
  const proc = spawnCli(['router', 'start', '--port', '0', '--no-context', '--admin', '127.0.0.1:0', '--log-format', 'json', ...args], {
    env: { WAMPCTL_CONFIG_DIR: tempConfigDir() },
    timeoutMs: 120_000,
  })
  await proc.waitFor((out) => /admin listener on http:\/\/127\.0\.0\.1:\d+ /.test(out))
  const url = /listening on (ws:\/\/\S+) /.exec(proc.stdout)![1]!
  const admin = /admin listener on (http:\/\/\S+) /.exec(proc.stdout)![1]!
  return { proc, url, admin }
}

async function status(admin: string, path: string): Promise<[number, string]> {
  const res = await fetch(`${admin}${path}`)
  return [res.status, await res.text()]
}

/** A callee that answers at once while the gate is open and holds every invocation while it is shut. */
class GatedCallee {
  held = 0
  private waiting: Array<() => void> = []
  private open = true

  constructor(readonly name: string) {}

  handler = (): Promise<string> | string => {
    if (this.open) return this.name
    this.held++
    return new Promise((resolve) => this.waiting.push(() => resolve(this.name)))
  }

  shut(): void {
    this.open = false
  }

  release(): void {
    this.open = true
    for (const w of this.waiting.splice(0)) w()
  }
}

describe('wampctl router start: graceful shutdown', () => {
  it('SIGTERM sent the moment it says it is listening shuts down gracefully (exit 0), never the default kill', async () => {
    // A supervisor (or a test) that signals as soon as it reads the ready lines: the handlers must
    // already be in. Before they were installed first, 6 of 10 such starts were killed by the signal.
    for (let i = 0; i < 5; i++) {
      const proc = spawnCli(['router', 'start', '--port', '0', '--no-context', '--log-format', 'json'], {
        env: { WAMPCTL_CONFIG_DIR: tempConfigDir() },
        timeoutMs: 60_000,
      })
      // signalled from inside the output watcher, with no turn of the event loop in between
      await proc.waitFor((out) => {
        if (!/listening on ws:/.test(out)) return false
        proc.signal('SIGTERM')
        return true
      })
      const r = await proc.done
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain('"msg":"shutdown requested"')
      expect(r.stdout).toContain('wampctl router stopped')
    }
  }, 120_000)

  it('SIGTERM: /readyz 503, new sessions and calls refused, calls in flight finish (zero failed), then GOODBYE system_shutdown; JSON logs', async () => {
    const { proc, url, admin } = await startRouter(['--grace', '10m'])
    expect(await status(admin, '/healthz')).toEqual([200, 'ok\n'])
    expect(await status(admin, '/readyz')).toEqual([200, 'ready\n'])

    const gates = [new GatedCallee('c1'), new GatedCallee('c2')]
    for (const [i, gate] of gates.entries()) {
      const s = await autobahnSession(url, i === 0 ? 'json' : 'msgpack')
      await s.register(URI, gate.handler, { invoke: 'roundrobin' } as autobahn.IRegisterOptions)
    }
    const caller = await autobahnSession(url, 'json')
    const wampy = await wampySession(url, 'msgpack')
    const events: string[] = []
    const onleave = caller.onleave.bind(caller) // autobahn's own: it closes the transport
    caller.onleave = (reason, details) => {
      events.push(`goodbye ${reason}`)
      onleave(reason, details)
    }

    // Load first: 300 calls from two real clients, 20 at a time, all answered.
    let n = 0
    const worker = async (k: number): Promise<void> => {
      while (n < 300) {
        n++
        if (k % 2 === 0) expect(await caller.call(URI)).toMatch(/^c[12]$/)
        else expect((await wampy.call(URI)).argsList?.[0]).toMatch(/^c[12]$/)
      }
    }
    await Promise.all(Array.from({ length: 20 }, (_, k) => worker(k)))

    // 30 calls in flight, held by the callees, when the signal comes.
    for (const g of gates) g.shut()
    const call = async (i: number): Promise<unknown> => (i % 2 === 0 ? await caller.call(URI) : (await wampy.call(URI)).argsList?.[0])
    const inflight = Array.from({ length: 30 }, (_, i) =>
      call(i).then(
        (r) => events.push(`result ${String(r)}`),
        (err: unknown) => events.push(`failed ${JSON.stringify(err)}`),
      ),
    )
    await expect.poll(() => gates[0]!.held + gates[1]!.held, { timeout: 30_000 }).toBe(30)

    proc.signal('SIGTERM')
    await expect.poll(() => status(admin, '/readyz'), { timeout: 30_000 }).toEqual([503, 'shutting down\n'])
    expect(await status(admin, '/healthz')).toEqual([200, 'ok\n'])
    // No new sessions (the WebSocket upgrade is refused) and no new calls; the callees get nothing more.
    await expect(RawPeer.open(url)).rejects.toThrow('HTTP 503')
    await expect(caller.call(URI)).rejects.toMatchObject({ error: 'wamp.error.no_available_callee' })
    const during = await scrape(admin)
    expect(promtoolCheck(during.text)).toEqual({ code: 0, output: '' })
    const metrics = parseSamples(during.text)
    expect(value(metrics, 'wampctl_router_ready')).toBe(0)
    expect(value(metrics, 'wampctl_calls_inflight', { realm: 'realm1' })).toBe(30)
    expect(value(metrics, 'wampctl_calls_rejected_total', { reason: 'shutdown' })).toBe(1)
    expect(gates[0]!.held + gates[1]!.held).toBe(30)
    expect(events).toEqual([])

    // The calls in flight finish; only then does every session get GOODBYE.
    for (const g of gates) g.release()
    await Promise.all(inflight)
    const end = await proc.done
    expect(end.code).toBe(0)
    expect(end.stdout).toContain('wampctl router stopped')
    await expect.poll(() => events.length, { timeout: 10_000 }).toBe(31)
    expect(events.filter((e) => e.startsWith('failed'))).toEqual([])
    expect(events.slice(0, 30).every((e) => /^result c[12]$/.test(e))).toBe(true)
    expect(events[30]).toBe('goodbye wamp.close.system_shutdown')

    // Logs: one JSON object per line, with level and msg; a line per session opened and closed.
    const lines = end.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const l of lines) expect(l).toMatchObject({ level: expect.stringMatching(/^(debug|info|warn|error)$/), msg: expect.any(String) })
    const opened = lines.filter((l) => l.msg === 'session opened')
    expect(opened).toHaveLength(4) // two callees, two callers
    expect(opened[0]).toMatchObject({
      level: 'info',
      realm: 'realm1',
      session: expect.any(Number),
      authid: expect.any(String),
      transport: 'websocket',
    })
    const closed = lines.filter((l) => l.msg === 'session closed')
    expect(closed.map((l) => l.reason)).toEqual(Array(4).fill('wamp.close.system_shutdown'))
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'listening',
        'shutdown requested',
        'shutting down: no new sessions or calls; waiting for calls in flight',
        'calls in flight finished',
      ]),
    )
  })

  it('a second signal stops at once, calls still in flight', async () => {
    const { proc, url, admin } = await startRouter(['--grace', '10m'])
    const gate = new GatedCallee('c')
    const callee = await autobahnSession(url, 'cbor')
    await callee.register(URI, gate.handler)
    gate.shut()
    const caller = await RawPeer.joined(url, 'json')
    const r = caller.nextRequest()
    caller.send([48, r, {}, URI])
    await expect.poll(() => gate.held, { timeout: 30_000 }).toBe(1)

    proc.signal('SIGTERM')
    await expect.poll(() => status(admin, '/readyz'), { timeout: 30_000 }).toEqual([503, 'shutting down\n'])
    proc.signal('SIGINT')
    // The grace period is 10 minutes; the process ends now, its held call unanswered by the callee.
    const end = await proc.done
    expect(end.code).toBe(0)
    expect(gate.held).toBe(1)
    expect(await caller.nextOf(6)).toEqual([6, { message: 'the router is shutting down' }, 'wamp.close.system_shutdown'])
    expect(end.stderr).toContain('"msg":"stopping at once"')
    expect(end.stderr).toContain('"msg":"stopping with calls in flight"')
  })

  it('the config file’s admin section (with a token), text logs; --admin-token alone and a bad admin field fail in one line', async () => {
    const dir = tempConfigDir()
    const config = join(dir, 'router.json')
    writeFileSync(config, JSON.stringify({ admin: { host: '127.0.0.1', port: 0, token: 'file-token' } }))
    const proc = spawnCli(['router', 'start', '--port', '0', '--no-context', '--config', config, '--log-format', 'text'], {
      env: { WAMPCTL_CONFIG_DIR: dir },
      timeoutMs: 60_000,
    })
    await proc.waitFor((out) => /admin listener on http:\/\/127\.0\.0\.1:\d+ /.test(out))
    const url = /listening on (ws:\/\/\S+) /.exec(proc.stdout)![1]!
    const admin = /admin listener on (http:\/\/\S+) /.exec(proc.stdout)![1]!
    expect((await scrape(admin)).status).toBe(401)
    expect((await scrape(admin, 'file-token')).status).toBe(200)
    const peer = await RawPeer.joined(url, 'cbor')
    await proc.waitFor((_out, err) => err.includes('session opened'))
    expect(proc.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}listening urls=/m)
    expect(proc.stderr).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  session opened realm=realm1 session=${peer.sessionId} authid=`, 'm'),
    )
    proc.signal('SIGTERM')
    expect((await proc.done).code).toBe(0)

    const alone = await runCli(['router', 'start', '--port', '0', '--no-context', '--admin-token', 'x'], {
      env: { WAMPCTL_CONFIG_DIR: dir },
    })
    expect([alone.code, alone.stderr]).toEqual([2, 'wampctl: --admin-token needs --admin HOST:PORT (or "admin" in the config file)\n'])
    const badAddress = await runCli(['router', 'start', '--no-context', '--admin', 'localhost'], { env: { WAMPCTL_CONFIG_DIR: dir } })
    expect(badAddress.code).toBe(2)
    expect(badAddress.stderr).toMatch(/^wampctl: bad --admin 'localhost': give HOST:PORT .*\n$/)
    writeFileSync(config, JSON.stringify({ admin: { port: '9100' } }))
    const bad = await runCli(['router', 'start', '--port', '0', '--no-context', '--config', config], { env: { WAMPCTL_CONFIG_DIR: dir } })
    expect([bad.code, bad.stderr]).toEqual([1, 'wampctl: invalid config: admin.port must be a number\n'])
  })
})
