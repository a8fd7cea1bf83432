import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { connFlags, REPO_ROOT, runCli, tempConfigDir } from '../support/cli.js'
import { openPeer } from '../support/peers.js'
import { ADMIN, oneErrorLine, readRouter, rowOf, tableRows, wampctlClient } from './read-fixtures.js'

const ROW_KEYS = ['session', 'authid', 'authrole', 'authmethod', 'transport', 'registrations', 'subscriptions'].sort()

/**
 * Run the CLI on a pseudo-terminal (util-linux `script`), answer its [y/N] prompt once, and
 * return its exit code and terminal output. Killed by PID after 15 s.
 */
function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, WAMPCTL_CONFIG_DIR: tempConfigDir() }
  delete env.NODE_ENV
  const cmd = [process.execPath, join(REPO_ROOT, 'bin', 'run.js'), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  let answered = false
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d
    if (!answered && output.includes('[y/N]')) {
      answered = true
      child.stdin.write(`${answer}\r`)
    }
  })
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 15_000)
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    }),
  )
}

/** An autobahn (json) callee of com.svc.echo, also subscribed to com.svc.news; a wampy (msgpack) callee of com.svc.echo and com.svc.ping. */
async function setup(extensions = true) {
  const router = await readRouter(extensions)
  const a = await openPeer('autobahn', router.url, 'json', { authid: 'worker-a' })
  const b = await openPeer('wampy', router.url, 'msgpack')
  await a.register('com.svc.echo', (inv) => ({ args: inv.args }), { invoke: 'roundrobin' })
  await b.register('com.svc.echo', (inv) => ({ args: inv.args }), { invoke: 'roundrobin' })
  await b.register('com.svc.ping', () => ({ args: ['pong'] }))
  await a.subscribe('com.svc.news', () => {})
  const caller = await openPeer('autobahn', router.url, 'json')
  for (let i = 0; i < 3; i++) await caller.call('com.svc.echo', [i])
  return { router, a, b, caller, flags: connFlags(router.url) }
}

describe('wampctl sessions list', () => {
  it('lists every other session with auth, transport, peer and how many registrations and subscriptions it has', async () => {
    const { flags, a, b, caller } = await setup()
    // one after the other: a CLI running alongside would be listed too
    const human = await runCli(['sessions', 'list', ...flags])
    const json = await runCli(['sessions', 'list', '--json', ...connFlags(flags[1]!, ADMIN)])
    expect(human.code, human.stderr).toBe(0)
    expect(tableRows(human.stdout)[0]).toEqual(['SESSION', 'AUTHID', 'AUTHROLE', 'AUTHMETHOD', 'TRANSPORT', 'PEER', 'REGS', 'SUBS'])
    expect(rowOf(human.stdout, a.id)).toEqual({
      SESSION: String(a.id),
      AUTHID: 'worker-a',
      AUTHROLE: 'anonymous',
      AUTHMETHOD: 'anonymous',
      TRANSPORT: 'wamp.2.json',
      PEER: expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/),
      REGS: '1',
      SUBS: '1',
    })
    expect(rowOf(human.stdout, b.id)).toMatchObject({ TRANSPORT: 'wamp.2.msgpack', REGS: '2', SUBS: '0' })
    expect(json.code, json.stderr).toBe(0)
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(ROW_KEYS)
    // the CLI's own session (authid ops) is left out; the other three are there, sorted by id
    expect(rows.map((r) => r.session)).toEqual([a.id, b.id, caller.id].sort((x, y) => x - y))
    expect(rows.map((r) => r.authid)).not.toContain('ops')
    expect(rows.find((r) => r.session === b.id)).toEqual({
      session: b.id,
      authid: expect.any(String),
      authrole: 'anonymous',
      authmethod: 'anonymous',
      // the same transport shape as sessions show
      transport: { type: 'websocket', protocol: 'wamp.2.msgpack', peer: expect.stringMatching(/^tcp:/) },
      registrations: 2,
      subscriptions: 0,
    })
  })

  it('works from the standard meta API on a router without the extensions', async () => {
    const { flags, a, b } = await setup(false)
    const r = await runCli(['sessions', 'list', '--json', ...flags])
    expect(r.code, r.stderr).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{ session: number; registrations: number; subscriptions: number }>
    expect(rows.find((x) => x.session === a.id)).toMatchObject({ registrations: 1, subscriptions: 1 })
    expect(rows.find((x) => x.session === b.id)).toMatchObject({ registrations: 2, subscriptions: 0 })
  })
})

describe('wampctl sessions show', () => {
  it('shows the details, the registrations it serves with its statistics, and its subscriptions', async () => {
    const { flags, a } = await setup()
    const [human, json, byAuthid] = await Promise.all([
      runCli(['sessions', 'show', String(a.id), ...flags]),
      runCli(['sessions', 'show', String(a.id), '--json', ...flags]),
      runCli(['sessions', 'show', 'worker-a', '--json', ...flags]),
    ])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(new RegExp(`^session: +${a.id}$`, 'm'))
    expect(human.stdout).toMatch(/^authid: +worker-a$/m)
    expect(human.stdout).toMatch(/^transport: +wamp\.2\.json$/m)
    expect(human.stdout).toMatch(/^registrations \(1\):$/m)
    expect(human.stdout).toMatch(/^ *\d+ +com\.svc\.echo +exact +roundrobin +active +1 +2 +0 +0 /m)
    expect(human.stdout).toMatch(/^subscriptions \(1\):$/m)
    expect(human.stdout).toMatch(/^ *\d+ +com\.svc\.news +exact$/m)
    expect(json.code, json.stderr).toBe(0)
    const d = JSON.parse(json.stdout) as Record<string, unknown>
    expect(d).toEqual({
      session: a.id,
      authid: 'worker-a',
      authrole: 'anonymous',
      authmethod: 'anonymous',
      authprovider: expect.any(String),
      transport: { type: 'websocket', protocol: 'wamp.2.json', peer: expect.stringMatching(/^tcp:/) },
      registrations: [
        {
          id: expect.any(Number),
          uri: 'com.svc.echo',
          match: 'exact',
          invoke: 'roundrobin',
          state: 'active',
          weight: 1,
          calls: 2,
          inflight: 0,
          errors: 0,
          p50_ms: expect.any(Number),
          p99_ms: expect.any(Number),
        },
      ],
      subscriptions: [{ id: expect.any(Number), uri: 'com.svc.news', match: 'exact' }],
    })
    expect(JSON.parse(byAuthid.stdout)).toEqual(d)
  })

  it('without the extensions: registrations from the standard API, statistics null, one note', async () => {
    const { flags, b } = await setup(false)
    const r = await runCli(['sessions', 'show', String(b.id), '--json', ...flags])
    expect(r.code, r.stderr).toBe(0)
    const d = JSON.parse(r.stdout) as { registrations: Array<Record<string, unknown>> }
    expect(d.registrations.map((x) => x.uri)).toEqual(['com.svc.echo', 'com.svc.ping'])
    expect(d.registrations[1]).toEqual({
      id: expect.any(Number),
      uri: 'com.svc.ping',
      match: 'exact',
      invoke: 'single',
      state: null,
      weight: null,
      calls: null,
      inflight: null,
      errors: null,
      p50_ms: null,
      p99_ms: null,
    })
    expect(oneErrorLine(r.stderr)).toMatch(/statistics are unavailable/)
  })

  it('unknown session: one line, exit 3; a malformed flag: one line, exit 2', async () => {
    const { flags } = await setup()
    const [unknown, badFlag, missing] = await Promise.all([
      runCli(['sessions', 'show', '987654321', ...flags]),
      runCli(['sessions', 'show', '1', '--frobnicate', ...flags]),
      runCli(['sessions', 'show', ...flags]),
    ])
    expect(unknown.code).toBe(3)
    expect(oneErrorLine(unknown.stderr)).toBe("wampctl: no session 987654321 on realm 'realm1'")
    expect(badFlag.code).toBe(2)
    expect(oneErrorLine(badFlag.stderr)).toContain('--frobnicate')
    expect(missing.code).toBe(2)
    oneErrorLine(missing.stderr)
  })
})

describe('wampctl sessions kill', () => {
  it('refuses without a terminal unless --yes (exit 4), refuses anonymous callers (exit 1), kills as admin with reason and message', async () => {
    const router = await readRouter()
    const victim = await WampClient.connect({ url: router.url, realm: 'realm1', authid: 'doomed' })
    const closed = new Promise<string>((resolve) => victim.onClose(resolve))
    const observer = await wampctlClient(router.url, true)
    const left = new Promise<unknown[]>(
      (resolve) => void observer.subscribe('wamp.session.on_leave', (args) => args[0] === Number(id) && resolve(args)),
    )
    const id = String(victim.sessionId)
    try {
      const [noYes, anonymous, unknown] = await Promise.all([
        runCli(['sessions', 'kill', id, ...connFlags(router.url, ADMIN)]),
        runCli(['sessions', 'kill', id, '--yes', ...connFlags(router.url)]),
        runCli(['sessions', 'kill', '987654321', '--yes', ...connFlags(router.url, ADMIN)]),
      ])
      expect(noYes.code).toBe(4)
      expect(oneErrorLine(noYes.stderr)).toBe(
        `wampctl: Kill session ${id} (authid doomed, role anonymous): refusing without confirmation (not a terminal); pass --yes`,
      )
      expect(anonymous.code).toBe(1)
      expect(oneErrorLine(anonymous.stderr)).toMatch(/^wampctl: not authorized: /)
      expect(unknown.code).toBe(3)
      oneErrorLine(unknown.stderr)
      expect(victim.isOpen).toBe(true)
      expect((await observer.call('wamp.session.get', [victim.sessionId])).args[0]).toMatchObject({ authid: 'doomed' })

      const killed = await runCli([
        'sessions',
        'kill',
        id,
        '--yes',
        '--reason',
        'wamp.close.maintenance',
        '--message',
        'host retired',
        '--json',
        ...connFlags(router.url, ADMIN),
      ])
      expect(killed.code, killed.stderr).toBe(0)
      expect(JSON.parse(killed.stdout)).toEqual({
        session: Number(id),
        authid: 'doomed',
        killed: true,
        dry_run: false,
        reason: 'wamp.close.maintenance',
        message: 'host retired',
        registrations: [],
        forced: false,
        notes: [],
      })
      expect(await closed).toBe('wamp.close.maintenance')
      expect((await left)[1]).toBe('doomed')
    } finally {
      await victim.close()
    }
  })

  it('prints one human line when it kills', async () => {
    const router = await readRouter()
    const victim = await openPeer('wampy', router.url, 'cbor')
    const r = await runCli(['sessions', 'kill', String(victim.id), '--yes', ...connFlags(router.url, ADMIN)])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`session ${victim.id} killed\n`)
    const after = await runCli(['sessions', 'show', String(victim.id), ...connFlags(router.url)])
    expect(after.code).toBe(3)
  })

  it('asks on a terminal: "n" keeps the session (exit 4), "y" kills it', async () => {
    const router = await readRouter()
    const victim = await openPeer('autobahn', router.url, 'json', { authid: 'doomed' })
    const args = ['sessions', 'kill', String(victim.id), ...connFlags(router.url, ADMIN)]
    const no = await onTerminal(args, 'n')
    expect(no.output).toContain(`Kill session ${victim.id} (authid doomed, role anonymous)? [y/N]`)
    expect(no.output).toContain('wampctl: aborted: not confirmed')
    expect(no.code).toBe(4)
    const observer = await wampctlClient(router.url, true)
    expect((await observer.call('wamp.session.get', [victim.id])).args[0]).toMatchObject({ authid: 'doomed' })
    const yes = await onTerminal(args, 'y')
    expect(yes.output).toContain(`session ${victim.id} killed`)
    expect(yes.code).toBe(0)
    await expect(observer.call('wamp.session.get', [victim.id])).rejects.toThrow(/no session|no_such_session/)
  })
})
