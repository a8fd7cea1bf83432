import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, spawnCli, tempConfigDir, type CliProcess } from '../support/cli.js'
import { RawPeer } from '../support/raw-peer.js'

/** `wampctl router start` as users run it: a child process, then the CLI with no flags at all. */

async function startRouterCli(args: string[], configDir: string): Promise<{ proc: CliProcess; url: string }> {
  const proc = spawnCli(['router', 'start', '--port', '0', ...args], { env: { WAMPCTL_CONFIG_DIR: configDir }, timeoutMs: 60_000 })
  await proc.waitFor((out) => /listening on ws:\/\/127\.0\.0\.1:\d+\/ws/.test(out))
  const url = /listening on (ws:\/\/127\.0\.0\.1:\d+\/ws)/.exec(proc.stdout)![1]!
  return { proc, url }
}

describe('wampctl router start', () => {
  it('prints its URL, writes an admin context (0600) the CLI uses with no flags, and stops with GOODBYE system_shutdown on SIGTERM', async () => {
    const dir = tempConfigDir()
    const { proc, url } = await startRouterCli(['--realm', 'realm1', '--realm', 'staging'], dir)
    expect(proc.stdout).toContain('(realms: realm1, staging; extensions on)')

    const file = join(dir, 'contexts.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const contexts = JSON.parse(readFileSync(file, 'utf8')) as { current: string; contexts: Record<string, Record<string, string>> }
    expect(contexts.current).toBe('local')
    expect(contexts.contexts.local).toEqual({ url, realm: 'realm1', authid: 'wampctl-admin', secret: expect.stringMatching(/^\S{16,}$/) })

    const env = { WAMPCTL_CONFIG_DIR: dir }
    const bystander = await RawPeer.joined(url)
    // No flags: the context's URL, realm and admin credential; an admin-only procedure works.
    const count = await runCli(['call', 'wamp.session.count', '--json'], { env })
    expect(count.code, count.stderr).toBe(0)
    expect(JSON.parse(count.stdout)).toEqual({ args: [2], kwargs: {} }) // the bystander and the CLI itself
    // --realm alone keeps the URL and the credential (the admin exists in every realm).
    const staging = await runCli(['call', 'wamp.session.count', '--realm', 'staging', '--json'], { env })
    expect(JSON.parse(staging.stdout)).toEqual({ args: [1], kwargs: {} })
    // --url alone keeps the context's credentials: killing a session needs the admin role.
    const kill = await runCli(['sessions', 'kill', String(bystander.sessionId), '--yes', '--url', url.replace('127.0.0.1', 'localhost')], {
      env,
    })
    expect(kill.code, kill.stderr).toBe(0)
    expect(await bystander.nextOf(6)).toEqual([6, {}, 'wamp.close.normal'])

    const watcher = await RawPeer.joined(url, 'msgpack')
    proc.signal('SIGTERM')
    expect(await watcher.nextOf(6)).toEqual([6, { message: 'the router is shutting down' }, 'wamp.close.system_shutdown'])
    const end = await proc.done
    expect(end.code).toBe(0)
    expect(end.stdout).toContain('wampctl router stopped')
  })

  it('--queue-size and --queue-wait bound the call queue of every realm (0: a call finding every callee at its cap fails at once)', async () => {
    const dir = tempConfigDir()
    const { proc, url } = await startRouterCli(['--queue-size', '0', '--queue-wait', '60000'], dir)
    const callee = await RawPeer.joined(url)
    expect((await callee.register('com.example.capped', { invoke: 'roundrobin', concurrency: 1 }))[0]).toBe(65)
    const caller = await RawPeer.joined(url)
    caller.send([48, caller.nextRequest(), {}, 'com.example.capped', []])
    await callee.nextOf(68) // held: the callee never answers
    const refused = await caller.call('com.example.capped')
    expect(refused.slice(0, 1).concat(refused.slice(4, 5))).toEqual([8, 'wamp.error.no_available_callee'])
    expect(refused[6]).toEqual({ reason: 'queue_full', queued: 0 })
    proc.signal('SIGTERM')
    expect((await proc.done).code).toBe(0)
  })

  it('--no-extensions serves the standard meta API only; --config with a bad field fails in one line', async () => {
    const dir = tempConfigDir()
    const { proc, url } = await startRouterCli(['--no-extensions'], dir)
    expect(proc.stdout).toContain('extensions off')
    const info = await runCli(['call', 'wampctl.router.info'], { env: { WAMPCTL_CONFIG_DIR: dir } })
    expect(info.code).toBe(3)
    expect(info.stderr.trim().split('\n')).toHaveLength(1)
    const list = await runCli(['call', 'wamp.registration.list', '--json', '--url', url], { env: { WAMPCTL_CONFIG_DIR: dir } })
    expect(JSON.parse(list.stdout)).toEqual({ args: [{ exact: [], prefix: [], wildcard: [] }], kwargs: {} })
    proc.signal('SIGINT')
    expect((await proc.done).code).toBe(0)

    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ realms: [{ name: 'r', roles: { ops: { permissions: [{ uri: 'a', allow: ['fly'] }] } } }] }))
    const refused = await runCli(['router', 'start', '--port', '0', '--config', bad], { env: { WAMPCTL_CONFIG_DIR: dir } })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      'wampctl: invalid config: realms[0].roles.ops.permissions[0].allow must be a list of call, register, publish, subscribe\n',
    )
  })

  it('--config serves the realms, roles and principals of the file', async () => {
    const dir = tempConfigDir()
    const config = join(dir, 'router.json')
    writeFileSync(
      config,
      JSON.stringify({
        realms: [
          {
            name: 'prod',
            roles: { svc: { permissions: [{ uri: 'com.example.', match: 'prefix', allow: ['call'] }] } },
            auth: { anonymous: false, ticket: { billing: { ticket: 't0k', role: 'svc' } } },
          },
        ],
      }),
    )
    const { proc, url } = await startRouterCli(['--config', config, '--no-context'], dir)
    expect(proc.stdout).toContain('(realms: prod;')
    const anonymous = await runCli(['call', 'wamp.session.count', '--url', url, '--realm', 'prod'], { env: { WAMPCTL_CONFIG_DIR: dir } })
    expect(anonymous.code).toBe(1)
    expect(anonymous.stderr).toMatch(/^wampctl: the router at .* does not accept anonymous authentication on realm 'prod'\n$/)
    const svc = await runCli(['call', 'wamp.session.count', '--url', url, '--realm', 'prod', '--authid', 'billing', '--ticket', 't0k'], {
      env: { WAMPCTL_CONFIG_DIR: dir },
    })
    expect(svc.code).toBe(1)
    expect(svc.stderr).toMatch(/^wampctl: not authorized: role 'svc' may not call 'wamp.session.count'\n$/)
    proc.signal('SIGTERM')
    expect((await proc.done).code).toBe(0)
  })

  it("--handshake-timeout and the config file's realm invocationDeadlineMs and liveness reach the router; drops are logged in one line", async () => {
    const dir = tempConfigDir()
    const config = join(dir, 'limits.json')
    writeFileSync(config, JSON.stringify({ realms: [{ name: 'realm1', invocationDeadlineMs: 200, liveness: { pingIntervalMs: 100 } }] }))
    const { proc, url } = await startRouterCli(['--config', config, '--handshake-timeout', '300', '--pong-timeout', '20000'], dir)
    const idle = await RawPeer.open(url)
    await idle.closed
    await proc.waitFor((_out, err) => err.includes('handshake_timeout'))
    const callee = await RawPeer.joined(url)
    await callee.register('com.example.stuck')
    await new Promise((resolve) => callee.ws.once('ping', resolve)) // realm liveness: pinged every 100 ms
    const caller = await RawPeer.joined(url)
    expect((await caller.call('com.example.stuck'))[4]).toBe('wamp.error.timeout')
    proc.signal('SIGTERM')
    expect((await proc.done).code).toBe(0)
  })
})
