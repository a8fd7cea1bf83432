import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/cli.js'

/** `npm start` (scripts/build-if-changed.mjs, then demo --top) builds only when a source changed since the last build. */

function run(script: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, script)], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

describe('npm start', () => {
  it('after a build, the freshness check finds nothing changed and builds nothing', async () => {
    // The suite runs after `npm run build`, which writes dist/.build-stamp last.
    const r = await run('scripts/build-if-changed.mjs')
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
  })
})
