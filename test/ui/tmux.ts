import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/cli.js'

/**
 * A private tmux server (its own socket, `-L`) for driving the TUIs like a user: one session of
 * the given size running one command, keys sent with send-keys, the screen read with
 * capture-pane. The command runs under `sh -c` which writes its exit status to a file: tmux
 * 3.3 may reap a pane's process late (pane_dead_status stays empty for seconds), the file does
 * not. The session ends with the command. `kill()` ends the server by its socket name.
 */
export class TmuxScreen {
  readonly socket: string
  readonly name = 'tui'
  private readonly dir: string
  private readonly exitFile: string
  private keepAfterExit = false

  constructor(label: string) {
    this.socket = `wampctl-test-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
    this.dir = mkdtempSync(join(tmpdir(), 'wampctl-tmux-'))
    this.exitFile = join(this.dir, 'exit-status')
  }

  private tmux(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', timeout: 5000 })
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
  }

  /**
   * Start `command` (argv, run without a shell) in a width × height terminal with `env`.
   * `keepAfterExit`: the pane stays on screen after the command ends (tmux remain-on-exit), so a
   * view that prints its outcome and exits at once can still be read; the session then ends with kill().
   */
  start(argv: string[], env: Record<string, string>, width = 160, height = 48, options: { keepAfterExit?: boolean } = {}): void {
    this.keepAfterExit = options.keepAfterExit ?? false
    const conf = join(this.dir, 'tmux.conf')
    writeFileSync(conf, `set -g status off\n${this.keepAfterExit ? 'set -g remain-on-exit on\n' : ''}`)
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`)
    const inner = `${['env', ...envArgs, ...argv].map(shellQuote).join(' ')}; echo $? > ${shellQuote(this.exitFile)}`
    const r = this.tmux(
      '-f',
      conf,
      'new-session',
      '-d',
      '-x',
      String(width),
      '-y',
      String(height),
      '-s',
      this.name,
      `sh -c ${shellQuote(inner)}`,
    )
    if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`)
  }

  capture(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name).stdout
  }

  /** The screen with its colours and attributes as SGR escape sequences (tmux `capture-pane -e`). */
  captureStyled(): string {
    return this.tmux('capture-pane', '-p', '-e', '-t', this.name).stdout
  }

  /** Send keys as tmux names them ('Enter', 'Escape', 'Tab', 'j'). */
  keys(...keys: string[]): void {
    const r = this.tmux('send-keys', '-t', this.name, ...keys)
    if (r.status !== 0) throw new Error(`tmux send-keys failed: ${r.stderr}`)
  }

  /** PID of the command (the child of the pane's `sh -c`). */
  commandPid(): number {
    const shell = this.tmux('display-message', '-p', '-t', this.name, '#{pane_pid}').stdout.trim()
    const r = spawnSync('pgrep', ['-P', shell], { encoding: 'utf8', timeout: 5000 })
    const pid = Number((r.stdout ?? '').trim().split('\n')[0])
    if (!(pid > 0)) throw new Error(`no command process under the pane's shell ${shell}`)
    return pid
  }

  hasSession(): boolean {
    return this.tmux('has-session', '-t', this.name).status === 0
  }

  /** Poll the screen until `predicate` holds (bounded); returns that screen. */
  async waitForScreen(predicate: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.capture()
      if (predicate(screen)) return screen
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${screen}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** Wait (bounded) until the command has exited and (unless kept after exit) its session is gone; its exit status. */
  async waitForExit(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const text = existsSync(this.exitFile) ? readFileSync(this.exitFile, 'utf8').trim() : ''
      if (text !== '' && (this.keepAfterExit || !this.hasSession())) return Number(text)
      if (Date.now() > deadline)
        throw new Error(`the command in tmux did not exit within ${timeoutMs} ms (status file: '${text}'); screen:\n${this.capture()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** Kill the session and the private server (by the names this object created), remove temp files. */
  kill(): void {
    this.tmux('kill-session', '-t', this.name)
    this.tmux('kill-server')
    // tmux leaves its socket file behind; it is ours by name
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true })
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Where and as whom a CLI run connects: `--url`, `--realm` (default realm1), `--authid`, `--secret`. */
export interface CliConnection {
  url: string
  authid: string
  secret: string
  realm?: string
}

/** The argv of the built CLI (`node bin/run.js …args`) for a tmux pane; with `connection`, its flags after `args`. */
export function wampctlArgv(args: string[], connection?: CliConnection): string[] {
  const argv = [process.execPath, join(REPO_ROOT, 'bin', 'run.js'), ...args]
  if (connection === undefined) return argv
  return [
    ...argv,
    '--url',
    connection.url,
    '--realm',
    connection.realm ?? 'realm1',
    '--authid',
    connection.authid,
    '--secret',
    connection.secret,
  ]
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}
