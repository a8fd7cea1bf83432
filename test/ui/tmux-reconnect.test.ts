import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WampClient } from '../../src/client/connection.js'
import { startLoad, type RunningLoad } from '../../src/ops/demo/load.js'
import { spawnCli, tempConfigDir, type CliProcess } from '../support/cli.js'
import { TmuxScreen, wampctlArgv } from './tmux.js'

/**
 * The live views survive the router: a real `wampctl router start` (which writes the admin
 * context with a fresh secret each time), real callees under load, `top` / `dashboard` in tmux
 * with no flags (everything from the context). The router goes away (SIGKILL: the rows stay,
 * marked stale; SIGTERM: a clean shutdown), comes back on the same port with a new secret, and
 * the view resumes by itself.
 */
let screen: TmuxScreen | undefined
const clients: WampClient[] = []
const loads: RunningLoad[] = []
afterEach(async () => {
  screen?.kill()
  screen = undefined
  await Promise.all(loads.splice(0).map((l) => l.stop(200)))
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

async function routerStart(configDir: string, port = 0): Promise<{ cli: CliProcess; url: string; port: number }> {
  const cli = spawnCli(['router', 'start', '--port', String(port)], { env: { WAMPCTL_CONFIG_DIR: configDir }, timeoutMs: 180_000 })
  await cli.waitFor((out) => /listening on ws:\/\/127\.0\.0\.1:\d+\/ws/.test(out), 20_000)
  const url = /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/ws)/.exec(cli.stdout)!
  return { cli, url: url[1]!, port: Number(url[2]) }
}

/** Two callees of rc.add (authids `${prefix}-1`, `${prefix}-2`) and a steady load on it. */
async function serve(url: string, prefix: string): Promise<void> {
  for (const n of [1, 2]) {
    const c = await WampClient.connect({ url, realm: 'realm1', authid: `${prefix}-${n}` })
    clients.push(c)
    await c.register('rc.add', (args) => args[0] ?? null, { invoke: 'roundrobin' })
  }
  const caller = await WampClient.connect({ url, realm: 'realm1', authid: `${prefix}-load` })
  clients.push(caller)
  loads.push(startLoad(caller, { rate: 60, mix: [{ uri: 'rc.add', weight: 1, args: () => [1] }], periodMs: 20 }))
}

const secretIn = (configDir: string): string =>
  (JSON.parse(readFileSync(join(configDir, 'contexts.json'), 'utf8')) as { contexts: Record<string, { secret: string }> }).contexts.local!
    .secret

describe('top and dashboard reconnect when the router goes away and comes back', () => {
  it('top at 80×24: SIGKILL → DISCONNECTED with the data age, rows marked STALE; router restarted with a new secret → live again', async () => {
    const configDir = tempConfigDir()
    const first = await routerStart(configDir)
    const firstSecret = secretIn(configDir)
    await serve(first.url, 'old')

    screen = new TmuxScreen('reconnect-top')
    screen.start(wampctlArgv(['top']), { WAMPCTL_CONFIG_DIR: configDir }, 80, 24)
    await screen.waitForScreen((s) => /rc\.add\s+roundrobin\s+2\s+[1-9]\d*\.\d\s/.test(s) && s.includes('live: stats'), 'rc.add live')

    first.cli.signal('SIGKILL')
    await first.cli.done
    const down = await screen.waitForScreen(
      (s) => /DISCONNECTED – retrying, last update \d+s ago/.test(s) && s.includes('STALE: the rows are the last data seen, not live'),
      'DISCONNECTED and the stale rows',
    )
    expect(down).toMatch(/rc\.add\s+roundrobin\s+2\s/) // the last data, still shown…
    expect(down).not.toContain('live: stats') // …never as live

    await Promise.all(loads.splice(0).map((l) => l.stop(200)))
    await Promise.all(clients.splice(0).map((c) => c.close()))
    const second = await routerStart(configDir, first.port)
    expect(secretIn(configDir)).not.toBe(firstSecret)
    await serve(second.url, 'new')
    const back = await screen.waitForScreen(
      (s) =>
        s.includes('live: stats') &&
        !s.includes('DISCONNECTED') &&
        !s.includes('STALE') &&
        /rc\.add\s+roundrobin\s+2\s+[1-9]\d*\.\d\s/.test(s),
      'live again with the new callees',
      30_000,
    )
    expect(back).toContain('1 registration')
    screen.keys('Enter')
    await screen.waitForScreen((s) => s.includes('new-1') && s.includes('new-2') && !s.includes('old-1'), 'the new callees')
    screen.keys('q')
    expect(await screen.waitForExit()).toBe(0)
    second.cli.signal('SIGTERM')
    expect((await second.cli.done).code).toBe(0)
  }, 90_000)

  it('dashboard at 160×48: a clean router shutdown → DISCONNECTED in its header; restarted → live again, the log says both', async () => {
    const configDir = tempConfigDir()
    const first = await routerStart(configDir)
    await serve(first.url, 'old')

    screen = new TmuxScreen('reconnect-dash')
    screen.start(wampctlArgv(['dashboard']), {
      WAMPCTL_CONFIG_DIR: configDir,
      NCURSES_NO_UTF8_ACS: '1',
    })
    await screen.waitForScreen((s) => /> rc\.add\s+roundrobin\s+2\s+[1-9]\d*\.\d/.test(s) && s.includes('live, stats every'), 'rc.add live')

    first.cli.signal('SIGTERM')
    expect((await first.cli.done).code).toBe(0)
    await screen.waitForScreen((s) => /DISCONNECTED – retrying, last update \d+s ago/.test(s), 'DISCONNECTED in the header')

    await Promise.all(loads.splice(0).map((l) => l.stop(200)))
    await Promise.all(clients.splice(0).map((c) => c.close()))
    const second = await routerStart(configDir, first.port)
    await serve(second.url, 'new')
    const back = await screen.waitForScreen(
      (s) =>
        s.includes('live, stats every') &&
        !s.includes('DISCONNECTED') &&
        s.includes('new-1') &&
        /> rc\.add\s+roundrobin\s+2\s+[1-9]\d*\.\d/.test(s),
      'live again with the new callees',
      30_000,
    )
    expect(back).toMatch(/disconnected from ws:\/\/127\.0\.0\.1:\d+\/ws/)
    expect(back).toMatch(/reconnected to ws:\/\/127\.0\.0\.1:\d+\/ws/)
    screen.keys('q')
    expect(await screen.waitForExit()).toBe(0)
    second.cli.signal('SIGTERM')
    await second.cli.done
  }, 90_000)
})
