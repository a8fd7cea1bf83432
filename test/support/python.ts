import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'

/**
 * Runs a fixture under test/fixtures/ with Debian's python3 (python3-autobahn, python3-nacl; .ci/run
 * installs them) and resolves with the JSON line it prints; kills it (by PID) after its test.
 */

const PYTHON = '/usr/bin/python3'
const DEADLINE_MS = 20_000
const children: ChildProcess[] = []

afterEach(() => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL')
})

export function runPythonFixture<T>(fixture: string, args: string[]): Promise<T> {
  const path = fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url))
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
      reject(new Error(`${fixture} did not finish within ${DEADLINE_MS} ms\nstdout: ${stdout}\nstderr: ${stderr.slice(-2000)}`))
    }, DEADLINE_MS)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`cannot run ${PYTHON}: ${err.message}`))
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      const line = stdout.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`${fixture} exited ${code}\nstdout: ${stdout}\nstderr: ${stderr.slice(-2000)}`))
      try {
        resolve(JSON.parse(line) as T)
      } catch {
        reject(new Error(`${fixture} printed no JSON: ${stdout}\nstderr: ${stderr.slice(-2000)}`))
      }
    })
  })
}
