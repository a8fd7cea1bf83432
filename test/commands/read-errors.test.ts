import { describe, expect, it } from 'vitest'
import { connFlags, runCli } from '../support/cli.js'
import { deadUrl, oneErrorLine, readRouter } from './read-fixtures.js'

const READ_COMMANDS: string[][] = [
  ['registrations', 'list'],
  ['registrations', 'show', 'com.example.add'],
  ['sessions', 'list'],
  ['sessions', 'show', '1'],
  ['sessions', 'kill', '1', '--yes'],
  ['events', '--count', '1'],
  ['publish', 'com.example.news'],
]

describe('read-side commands: errors are one line on stderr with an exit code', () => {
  it('an unreachable router: exit 1, one line naming the URL, no stack trace (and a JSON error with --json)', async () => {
    const url = await deadUrl()
    const results = await Promise.all(READ_COMMANDS.map((cmd) => runCli([...cmd, ...connFlags(url)])))
    results.forEach((r, i) => {
      expect(r.code, READ_COMMANDS[i]!.join(' ')).toBe(1)
      expect(r.stdout).toBe('')
      expect(oneErrorLine(r.stderr)).toBe(`wampctl: could not reach a WAMP router at ${url}: connection refused: nothing listens there`)
    })
    const json = await runCli(['registrations', 'list', '--json', ...connFlags(url)])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'WAMPCTL_CONNECT',
        message: `could not reach a WAMP router at ${url}: connection refused: nothing listens there`,
        exit: 1,
      },
    })
  })

  it('refused credentials: exit 1, one line', async () => {
    const router = await readRouter()
    const r = await runCli(['sessions', 'list', ...connFlags(router.url, { authid: 'ops', secret: 'wrong' })])
    expect(r.code).toBe(1)
    expect(oneErrorLine(r.stderr)).toBe(`wampctl: the router at ${router.url} refused the credentials of 'ops'`)
  })

  it('bad flags and values: exit 2, one line, before connecting', async () => {
    const url = await deadUrl()
    const cases: Array<[string[], string]> = [
      [['registrations', 'list', '--match', 'fuzzy'], 'Expected --match=fuzzy to be one of: exact, prefix, wildcard'],
      [['registrations', 'list', '--sample', '-5'], "bad --sample '-5': cannot read '-5' (examples: 500ms, 30s, 2m, 1m30s)"],
      [['registrations', 'list', '--bogus'], 'Nonexistent flag: --bogus'],
      [['registrations', 'list', '--count', '2'], 'All of the following must be provided when using --count: --watch'],
      [['registrations', 'show'], 'Missing 1 required arg: registration (registration URI or id)'],
      [['events', '--count', '0'], 'Parsing --count: Expected an integer greater than or equal to 1 but received: 0'],
      [['sessions', 'kill'], 'Missing 1 required arg: session (session id (or an authid naming one session))'],
    ]
    const results = await Promise.all(cases.map(([cmd]) => runCli([...cmd, ...connFlags(url)])))
    results.forEach((r, i) => {
      const [cmd, message] = cases[i]!
      expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stdout).toBe('')
      expect(oneErrorLine(r.stderr)).toBe(`wampctl: ${message}`)
    })
  })
})
