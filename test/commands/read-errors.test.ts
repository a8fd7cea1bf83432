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
      expect(oneErrorLine(r.stderr)).toBe(`wampctl: could not reach a WAMP router at ${url} (unreachable)`)
    })
    const json = await runCli(['registrations', 'list', '--json', ...connFlags(url)])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'WAMPCTL_CONNECT', message: `could not reach a WAMP router at ${url} (unreachable)`, exit: 1 } })
  })

  it('refused credentials: exit 1, one line', async () => {
    const router = await readRouter()
    const r = await runCli(['sessions', 'list', ...connFlags(router.url, { authid: 'ops', secret: 'wrong' })])
    expect(r.code).toBe(1)
    expect(oneErrorLine(r.stderr)).toBe(`wampctl: the router at ${router.url} refused the credentials of 'ops'`)
  })

  it('bad flags and values: exit 2, one line, before connecting', async () => {
    const url = await deadUrl()
    const cases = [
      ['registrations', 'list', '--match', 'fuzzy'],
      ['registrations', 'list', '--sample', '-5'],
      ['registrations', 'list', '--bogus'],
      ['registrations', 'list', '--count', '2'],
      ['registrations', 'show'],
      ['events', '--count', '0'],
      ['sessions', 'kill'],
    ]
    const results = await Promise.all(cases.map((cmd) => runCli([...cmd, ...connFlags(url)])))
    results.forEach((r, i) => {
      expect(r.code, `${cases[i]!.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stdout).toBe('')
      oneErrorLine(r.stderr)
    })
  })
})
