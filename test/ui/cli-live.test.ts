import { describe, expect, it } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { connFlags, runCli, spawnCli, tempConfigDir } from '../support/cli.js'
import { ADMIN, callee, liveRouter, load } from './live-fixture.js'

/** The built CLI (npm test builds first) without a terminal: plain lines, NDJSON, refusals, the demo's lifecycle. */
describe('wampctl top / dashboard / demo without a terminal', () => {
  it('top prints one plain line per registration per interval, --count times, then exits 0', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    await callee(router, 'cli.add', 'add-1')
    await callee(router, 'cli.add', 'add-2')
    await load(router, ['cli.add'], 60)
    const r = await runCli(['top', ...connFlags(router.url, ADMIN), '--count', '2', '--interval', '300'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    for (const l of lines)
      expect(l).toMatch(/^\d{4}-\d\d-\d\dT\S+Z cli\.add invoke=roundrobin callees=2 calls\/s=\d+\.\d inflight=\d+ errors=0 spread=\S+$/)
    expect(r.stdout).not.toContain('\u001b[') // no escape sequences in a pipe
  })

  it('top --json prints NDJSON records with registrations and their callees', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    const a = await callee(router, 'cli.json', 'j-1')
    await load(router, ['cli.json'], 40)
    const r = await runCli(['top', ...connFlags(router.url, ADMIN), '--json', '--count', '2', '--interval', '300'])
    expect(r.code).toBe(0)
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(records).toHaveLength(2)
    const rec = records[1]
    expect(rec.mode).toBe('live')
    expect(rec.registrations).toHaveLength(1)
    expect(rec.registrations[0]).toMatchObject({ uri: 'cli.json', invoke: 'roundrobin', errors: 0 })
    expect(rec.registrations[0].callees).toEqual([
      expect.objectContaining({ session: a.session, authid: 'j-1', state: 'active', weight: 1, share: 1 }),
    ])
    expect(rec.registrations[0].calls_per_s).toBeGreaterThan(0)
  })

  it('top against a router without the extensions says it polls the standard meta API', async () => {
    const router = await liveRouter({ extensions: false })
    await callee(router, 'std.svc', 's-1')
    const r = await runCli(['top', ...connFlags(router.url, ADMIN), '--count', '1', '--interval', '200'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('wampctl top: the router has no wampctl extensions; polling the standard meta API every 200 ms (no statistics)\n')
    expect(r.stdout).toMatch(/ std\.svc invoke=roundrobin callees=1 calls\/s=- inflight=- errors=- spread=-\n$/)
  })

  it('top stops (exit 0) when its reader goes away, as with | head', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    await callee(router, 'cli.pipe', 'p-1')
    const top = spawnCli(['top', ...connFlags(router.url, ADMIN), '--interval', '200'])
    await top.waitFor((out) => out.includes(' cli.pipe invoke=roundrobin'))
    top.closeStdout()
    const r = await top.done
    expect(r.timedOut).toBe(false)
    expect(r.code).toBe(0)
  })

  it('top ends with exit 1 and one line when the router goes away', async () => {
    const router = await liveRouter({ statsIntervalMs: 100 })
    await callee(router, 'cli.gone', 'g-1')
    const top = spawnCli(['top', ...connFlags(router.url, ADMIN), '--interval', '200'])
    await top.waitFor((out) => out.includes(' cli.gone invoke=roundrobin'))
    await router.close()
    const r = await top.done
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('wampctl: the router closed the connection (wamp.close.system_shutdown)\n')
  })

  it('dashboard refuses without a terminal in one line, pointing at top --json', async () => {
    const r = await runCli(['dashboard', '--url', 'ws://127.0.0.1:9/ws'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('wampctl: dashboard needs a terminal; for a machine-readable live feed use `wampctl top --json`\n')
  })

  it('demo serves the demo procedures under load, prints what to try, and stops cleanly on SIGTERM', async () => {
    const config = tempConfigDir()
    const demo = spawnCli(['demo', '--port', '0', '--rate', '50'], { timeoutMs: 20_000, env: { WAMPCTL_CONFIG_DIR: config } })
    await demo.waitFor((out) => out.includes('Ctrl-C stops everything.'))
    const url = /router listening on (ws:\/\/\S+) /.exec(demo.stdout)![1]!
    expect(demo.stdout).toContain(
      'services: demo.add (roundrobin, 3 instances), demo.lookup (first, 2 instances), demo.quote (random, 2 instances)',
    )
    expect(demo.stdout).toContain('  wampctl registrations show demo.add')
    expect(demo.stdout).toMatch(/ {2}wampctl drain \d+ --uri demo\.add/)
    expect(demo.stdout).toContain('  wampctl top')
    // the context it wrote lets the CLI in another terminal work without flags
    const top = await runCli(['top', '--count', '1', '--interval', '1200', '--json'], { env: { WAMPCTL_CONFIG_DIR: config } })
    expect(top.code).toBe(0)
    const uris = (JSON.parse(top.stdout) as { registrations: Array<{ uri: string; callees: unknown[] }> }).registrations.map(
      (r) => `${r.uri}:${r.callees.length}`,
    )
    expect(uris.sort()).toEqual(['demo.add:3', 'demo.lookup:2', 'demo.quote:2'])
    const client = await WampClient.connect({ url, realm: 'realm1' })
    const closed = new Promise<string>((resolve) => client.onClose(resolve))
    try {
      expect((await client.call('demo.add', [2, 3])).args).toEqual([5])
      expect((await client.call('demo.lookup', ['k'])).args[0]).toEqual({ key: 'k', value: 'value-of-k' })
      demo.signal('SIGTERM')
      // the router says GOODBYE to every session still there
      expect(await closed).toBe('wamp.close.system_shutdown')
    } finally {
      await client.close()
    }
    const r = await demo.done
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('wampctl demo: stopped')
    expect(r.stderr).toBe('')
  })
})
