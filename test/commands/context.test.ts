import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, spawnCli, tempConfigDir, type CliProcess } from '../support/cli.js'

/** `wampctl context list|use|show|delete`, and `router start` saying when it switches the current context. */

async function startRouterCli(args: string[], configDir: string): Promise<{ proc: CliProcess; url: string }> {
  const proc = spawnCli(['router', 'start', '--port', '0', ...args], { env: { WAMPCTL_CONFIG_DIR: configDir }, timeoutMs: 60_000 })
  await proc.waitFor((out) => /current context/.test(out))
  const url = /listening on (ws:\/\/127\.0\.0\.1:\d+\/ws)/.exec(proc.stdout)![1]!
  return { proc, url }
}

async function stop(proc: CliProcess): Promise<void> {
  proc.signal('SIGTERM')
  expect((await proc.done).code).toBe(0)
}

describe('wampctl context', () => {
  it('router start says it made its context current, and when it switched from another; list, show, use and delete manage them', async () => {
    const dir = tempConfigDir()
    const env = { WAMPCTL_CONFIG_DIR: dir }
    const file = join(dir, 'contexts.json')

    const empty = await runCli(['context', 'list'], { env })
    expect(empty.code).toBe(0)
    expect(empty.stdout).toBe('no contexts (wampctl router start writes one)\n')
    const none = await runCli(['context', 'show'], { env })
    expect(none.code).toBe(3)
    expect(none.stderr).toBe('wampctl: no current context (wampctl context use NAME, or wampctl router start, sets one)\n')

    const first = await startRouterCli([], dir)
    expect(first.proc.stdout).toContain(`context 'local' written to ${file}; it is now the current context`)
    const second = await startRouterCli(['--context-name', 'lab'], dir)
    expect(second.proc.stdout).toContain(
      `context 'lab' written to ${file}; switched the current context from 'local' to 'lab' ('wampctl context use local' switches back)`,
    )

    const list = await runCli(['context', 'list'], { env })
    expect(list.code, list.stderr).toBe(0)
    expect(
      list.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)),
    ).toEqual([
      ['CURRENT', 'NAME', 'URL', 'REALM', 'AUTHID', 'AUTH'],
      ['*', 'lab', second.url, 'realm1', 'wampctl-admin', 'wampcra'],
      ['', 'local', first.url, 'realm1', 'wampctl-admin', 'wampcra'],
    ])
    const secret = (JSON.parse(readFileSync(file, 'utf8')) as { contexts: Record<string, { secret: string }> }).contexts.lab!.secret
    expect(list.stdout).not.toContain(secret)

    // The current context is the one commands use: the `lab` router answers.
    const who = await runCli(['call', 'wamp.session.count', '--json'], { env })
    expect(who.code, who.stderr).toBe(0)

    const use = await runCli(['context', 'use', 'local'], { env })
    expect(use.stdout).toBe("switched the current context to 'local' (was 'lab')\n")
    const show = await runCli(['context', 'show', '--json'], { env })
    expect(JSON.parse(show.stdout)).toEqual({
      name: 'local',
      current: true,
      url: first.url,
      realm: 'realm1',
      authid: 'wampctl-admin',
      auth: 'wampcra',
    })
    expect(show.stdout).not.toContain(secret)
    const human = await runCli(['context', 'show', 'lab'], { env })
    expect(human.stdout).toBe(`name:    lab\nurl:     ${second.url}\nrealm:   realm1\nauthid:  wampctl-admin\nauth:    wampcra\n`)

    const unknown = await runCli(['context', 'use', 'prod'], { env })
    expect(unknown.code).toBe(3)
    expect(unknown.stderr).toBe(`wampctl: no context 'prod' in ${file} (known: lab, local)\n`)

    const del = await runCli(['context', 'delete', 'local'], { env })
    expect(del.code, del.stderr).toBe(0)
    expect(del.stdout).toBe("deleted context 'local'; no context is current now (wampctl context use NAME picks one)\n")
    const after = await runCli(['context', 'list', '--json'], { env })
    expect(JSON.parse(after.stdout)).toEqual([
      { name: 'lab', current: false, url: second.url, realm: 'realm1', authid: 'wampctl-admin', auth: 'wampcra' },
    ])
    await stop(first.proc)
    await stop(second.proc)
  })
})
