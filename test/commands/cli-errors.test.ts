import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { connFlags, runCli, tempConfigDir } from '../support/cli.js'
import { startOpsRouter, ADMIN } from '../support/ops-realm.js'

/** The CLI's own errors, as an operator meets them: one `wampctl:` line, an exit code, no stack trace. */

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines, stderr).toHaveLength(1)
  return lines[0]!
}

describe('a typo in a command', () => {
  it('suggests the closest command in the wampctl: format, exit 2 (and a JSON error with --json)', async () => {
    const [drian, lsit, topic, far, json] = await Promise.all([
      runCli(['drian']),
      runCli(['registrations', 'lsit']),
      runCli(['sesions', 'list']),
      runCli(['frobnicate']),
      runCli(['drian', '--json']),
    ])
    expect(drian.code).toBe(2)
    expect(oneLine(drian.stderr)).toBe('wampctl: "drian" is not a wampctl command; did you mean drain?')
    expect(oneLine(lsit.stderr)).toBe('wampctl: "registrations lsit" is not a wampctl command; did you mean registrations list?')
    expect(oneLine(topic.stderr)).toBe('wampctl: "sesions list" is not a wampctl command; did you mean sessions list?')
    expect(far.code).toBe(2)
    expect(oneLine(far.stderr)).toBe('wampctl: "frobnicate" is not a wampctl command; see wampctl --help')
    expect(json.code).toBe(2)
    expect(json.stderr).toBe('')
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'WAMPCTL_USAGE', message: '"drian" is not a wampctl command; did you mean drain?', exit: 2 },
    })
  })
})

describe('a router URL', () => {
  it('without ws:// is a usage error (exit 2, one line, the likely URL), before any connection', async () => {
    const [bare, http, json] = await Promise.all([
      runCli(['sessions', 'list', '--url', '127.0.0.1:8080']),
      runCli(['registrations', 'list', '--url', 'http://127.0.0.1:8080/ws']),
      runCli(['sessions', 'list', '--url', '127.0.0.1:8080', '--json']),
    ])
    expect(bare.code).toBe(2)
    expect(oneLine(bare.stderr)).toBe(
      "wampctl: '127.0.0.1:8080' is not a router WebSocket URL (ws://HOST:PORT/PATH or wss://…); did you mean ws://127.0.0.1:8080/ws?",
    )
    expect(http.code).toBe(2)
    expect(oneLine(http.stderr)).toContain('did you mean ws://127.0.0.1:8080/ws?')
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'WAMPCTL_USAGE', exit: 2 })
  })

  it('with a wrong path reports the router’s own answer (404, use /ws), not "unreachable"', async () => {
    const router = await startOpsRouter()
    const wrong = router.url.replace(/\/ws$/, '/wamp')
    const r = await runCli(['sessions', 'list', ...connFlags(wrong, ADMIN)])
    expect(r.code).toBe(1)
    expect(oneLine(r.stderr)).toBe(
      `wampctl: could not reach a WAMP router at ${wrong}: the server answered HTTP 404 Not Found: no WAMP endpoint at /wamp; use /ws`,
    )
  })
})

describe('router start on a busy port', () => {
  it('says which flag to change (exit 1, one line)', async () => {
    const busy = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
    const { port } = busy.address() as { port: number }
    try {
      const r = await runCli(['router', 'start', '--port', String(port)], { env: { WAMPCTL_CONFIG_DIR: tempConfigDir() } })
      expect(r.code).toBe(1)
      expect(oneLine(r.stderr)).toBe(
        `wampctl: port ${port} on 127.0.0.1 is already in use (another router?); pick another with --port, or --port 0 for a free one`,
      )
    } finally {
      await new Promise<void>((r) => busy.close(() => r()))
    }
  })
})

describe('durations', () => {
  it('every time flag takes 500ms, 30s, 2m; bare numbers stay milliseconds where they were; bad ones are usage errors', async () => {
    const router = await startOpsRouter()
    const admin = connFlags(router.url, ADMIN)
    const [call5s, callBare, top2s, topBare, listSample, badUnit, tooShort, drainBare] = await Promise.all([
      runCli(['call', 'wamp.session.count', '--timeout', '5s', '--json', ...admin]),
      runCli(['call', 'wamp.session.count', '--timeout', '5000', '--json', ...admin]),
      runCli(['top', '--interval', '2s', '--count', '1', '--json', ...admin]),
      runCli(['top', '--interval', '500', '--count', '1', '--json', ...admin]),
      runCli(['registrations', 'list', '--sample', '100ms', '--json', ...admin]),
      runCli(['call', 'wamp.session.count', '--timeout', '5x', ...admin]),
      runCli(['top', '--interval', '50ms', '--count', '1', ...admin]),
      runCli(['drain', '1', '--timeout', '30', ...admin]),
    ])
    for (const r of [call5s, callBare, top2s, topBare, listSample]) expect(r.code, r.stderr).toBe(0)
    // Other CLI runs of this test share the router: at least this one's own session.
    expect((JSON.parse(call5s.stdout) as { args: number[] }).args[0]).toBeGreaterThanOrEqual(1)
    expect(JSON.parse(top2s.stdout.trim().split('\n')[0]!)).toHaveProperty('registrations')
    expect(badUnit.code).toBe(2)
    expect(oneLine(badUnit.stderr)).toBe("wampctl: bad --timeout '5x': cannot read '5x' (examples: 500ms, 30s, 2m, 1m30s)")
    expect(tooShort.code).toBe(2)
    expect(oneLine(tooShort.stderr)).toBe("wampctl: bad --interval '50ms': must be at least 100ms (examples: 500ms, 30s, 2m, 1m30s)")
    expect(drainBare.code).toBe(2)
    expect(oneLine(drainBare.stderr)).toBe("wampctl: bad --timeout '30': give a unit (examples: 500ms, 30s, 2m, 1m30s)")
  })

  it('--help says what a bare number means', async () => {
    const [top, drain] = await Promise.all([runCli(['top', '--help']), runCli(['drain', '--help'])])
    expect(top.stdout.replace(/\s+/g, ' ')).toContain('(500ms, 30s, 2m; a bare number is milliseconds)')
    expect(drain.stdout.replace(/\s+/g, ' ')).toContain('--timeout=DURATION [default: 30s]')
  })
})

describe('colour', () => {
  it('nothing is coloured when stdout is not a terminal (help, tables, JSON, errors), even without NO_COLOR', async () => {
    const router = await startOpsRouter()
    const env = { NO_COLOR: undefined, FORCE_COLOR: undefined }
    const admin = connFlags(router.url, ADMIN)
    const runs = await Promise.all([
      runCli(['--help'], { env }),
      runCli(['registrations', 'list', '--help'], { env }),
      runCli(['sessions', 'list', ...admin], { env }),
      runCli(['sessions', 'list', '--json', ...admin], { env }),
      runCli(['drian'], { env }),
    ])
    for (const r of runs) {
      expect(r.stdout + r.stderr).not.toContain('\x1b[')
    }
  })
})
