/**
 * Text captures of the live views for the README (docs/screens/*.txt), from a real demo run in a
 * private tmux server (160 × 48): `wampctl top`, one registration opened in top (with one callee
 * cordoned a few seconds earlier), and `wampctl dashboard`.
 *
 *   npm run build && node dist/bench/tui-screens.js
 *
 * Bounded: every wait has a deadline; the tmux server is killed by its socket name at the end.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const out = join(root, 'docs', 'screens')
const socket = `wampctl-screens-${process.pid}`
const config = mkdtempSync(join(tmpdir(), 'wampctl-screens-'))
const bin = join(root, 'bin', 'run.js')

const tmux = (...args: string[]): string => {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', timeout: 5000 })
  return r.stdout ?? ''
}
const start = (name: string, command: string): void => {
  tmux(
    'new-session',
    '-d',
    '-x',
    '160',
    '-y',
    '48',
    '-s',
    name,
    `env WAMPCTL_CONFIG_DIR=${config} NCURSES_NO_UTF8_ACS=1 ${process.execPath} ${bin} ${command}`,
  )
}
const capture = (name: string): string =>
  tmux('capture-pane', '-p', '-t', name)
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trimEnd() + '\n'
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function waitFor(name: string, predicate: (s: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const s = capture(name)
    if (predicate(s)) return s
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${s}`)
    await sleep(200)
  }
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true })
  tmux('-f', '/dev/null', 'start-server')
  tmux('set-option', '-g', 'status', 'off')
  start('demo', 'demo --port 0 --rate 120')
  await waitFor('demo', (s) => s.includes('Ctrl-C stops everything.'), 'the demo')

  start('top', 'top')
  await waitFor('top', (s) => /demo\.add\s+roundrobin/.test(s), 'top')
  await sleep(8000) // a few ticks of history
  writeFileSync(join(out, 'top.txt'), capture('top'))

  tmux('send-keys', '-t', 'top', 'Enter')
  await waitFor('top', (s) => s.includes('demo-add-3'), 'the registration view')
  tmux('send-keys', '-t', 'top', 'j')
  tmux('send-keys', '-t', 'top', 'c')
  await waitFor('top', (s) => s.includes('[y/N]'), 'the cordon question')
  tmux('send-keys', '-t', 'top', 'y')
  await waitFor('top', (s) => /demo-add-2\s+cordoned/.test(s), 'demo-add-2 cordoned')
  await sleep(6000) // its sparkline falls, the others rise
  writeFileSync(join(out, 'top-registration.txt'), capture('top'))
  tmux('send-keys', '-t', 'top', 'u')
  await waitFor('top', (s) => s.includes('Uncordon'), 'the uncordon question')
  tmux('send-keys', '-t', 'top', 'y')
  await waitFor('top', (s) => /demo-add-2\s+active/.test(s), 'demo-add-2 active again')
  tmux('send-keys', '-t', 'top', 'q')

  start('dashboard', 'dashboard')
  await waitFor('dashboard', (s) => /> demo\.add/.test(s), 'the dashboard')
  await sleep(8000)
  // cordon demo-add-2 for a while, then take it back: the log and the charts show both
  tmux('send-keys', '-t', 'dashboard', 'j')
  tmux('send-keys', '-t', 'dashboard', 'c')
  await waitFor('dashboard', (s) => s.includes('[y/N]'), 'the cordon question')
  tmux('send-keys', '-t', 'dashboard', 'y')
  await waitFor('dashboard', (s) => /demo-add-2\s+cordoned/.test(s), 'demo-add-2 cordoned')
  await sleep(6000)
  tmux('send-keys', '-t', 'dashboard', 'u')
  await waitFor('dashboard', (s) => s.includes('[y/N]'), 'the uncordon question')
  tmux('send-keys', '-t', 'dashboard', 'y')
  await waitFor('dashboard', (s) => /demo-add-2\s+active/.test(s), 'demo-add-2 active again')
  await sleep(4000)
  writeFileSync(join(out, 'dashboard.txt'), capture('dashboard'))
  tmux('send-keys', '-t', 'dashboard', 'q')
  tmux('send-keys', '-t', 'demo', 'C-c')
  await waitFor('demo', (s) => s.includes('wampctl demo: stopped'), 'the demo to stop', 10_000).catch(() => '')
  process.stdout.write(`wrote ${['top.txt', 'top-registration.txt', 'dashboard.txt'].map((f) => join('docs', 'screens', f)).join(', ')}\n`)
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`tui-screens: ${(err as Error).message}\n`)
    process.exitCode = 1
  })
  .finally(() => {
    tmux('kill-server')
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true })
    rmSync(config, { recursive: true, force: true })
  })
