import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { WampClient } from '../../src/client/connection.js'
import { REPO_ROOT } from './cli.js'

/**
 * A real Crossbar.io 21.3.1 for the foreign-router tests, from the shared kit (`../shared/crossbar`
 * next to the clone in CI; the nearest `shared/crossbar` above the repository on a development
 * machine, or $WAMPCTL_CROSSBAR_KIT). install.sh is idempotent (1–2 min the first time, about a
 * second after); each suite starts its own Crossbar on a free port with its own CBDIR and stops it
 * by its PID.
 */
export interface RunningCrossbar {
  url: string
  pid: number
  stop(): Promise<void>
}

export function crossbarKit(): string {
  if (process.env.WAMPCTL_CROSSBAR_KIT) return process.env.WAMPCTL_CROSSBAR_KIT
  let dir = REPO_ROOT
  for (let i = 0; i < 4; i++) {
    const parent = dirname(dir)
    const kit = join(parent, 'shared', 'crossbar')
    if (existsSync(join(kit, 'install.sh'))) return kit
    dir = parent
  }
  throw new Error(`no shared/crossbar kit (install.sh) found above ${REPO_ROOT}; set WAMPCTL_CROSSBAR_KIT`)
}

/** Run install.sh (bounded): the path of the crossbar executable it prints last. */
export function installCrossbar(timeoutMs = 300_000): Promise<string> {
  const kit = crossbarKit()
  return new Promise((resolve, reject) => {
    execFile(join(kit, 'install.sh'), [], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`crossbar install.sh failed: ${err.message}\n${stderr}`))
      const bin = stdout.trim().split('\n').at(-1) ?? ''
      if (!existsSync(bin)) return reject(new Error(`crossbar install.sh printed no executable: ${stdout}`))
      resolve(bin)
    })
  })
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

/** Start Crossbar (start.sh: realm1, anonymous may do everything) and wait until a session can join, bounded. */
export async function startCrossbar(bin: string, readyTimeoutMs = 90_000): Promise<RunningCrossbar> {
  const port = await freePort()
  const cbdir = mkdtempSync(join(tmpdir(), 'wampctl-crossbar-'))
  const child: ChildProcess = spawn(join(crossbarKit(), 'start.sh'), [bin, String(port), cbdir], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)))
  let exited = false
  const ended = new Promise<void>((resolve) =>
    child.on('close', () => {
      exited = true
      resolve()
    }),
  )
  const url = `ws://127.0.0.1:${port}/ws`
  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM')
      const killer = setTimeout(() => child.pid !== undefined && !exited && process.kill(child.pid, 'SIGKILL'), 15_000)
      await ended
      clearTimeout(killer)
    }
    rmSync(cbdir, { recursive: true, force: true })
  }
  // The TCP port opens a moment before /ws is attached: wait for a join, not the port.
  const deadline = Date.now() + readyTimeoutMs
  for (let attempt = 0; attempt < 1000; attempt++) {
    if (exited) throw new Error(`crossbar exited before it was ready: ${stderr}`)
    try {
      const probe = await WampClient.connect({ url, realm: 'realm1', timeoutMs: 2000 })
      await probe.close()
      return { url, pid: child.pid!, stop }
    } catch {
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`crossbar not ready at ${url} after ${readyTimeoutMs} ms: ${stderr}`)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  await stop()
  throw new Error('crossbar never became ready')
}
