import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ClusterUri, type ClusterStatus } from '../../src/protocol/cluster.js'
import { ExtensionUri } from '../../src/protocol/extensions.js'
import { REPO_ROOT } from '../support/cli.js'
import { autobahnSession } from '../support/clients.js'
import { startRouter } from '../support/router.js'

const dir = mkdtempSync(join(tmpdir(), 'wampctl-no-nats-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * Runs the built router (dist/, `npm run build` first) in a child process whose every module
 * resolution is recorded; it serves one session that calls wampctl.cluster.status, then closes.
 */
function loadedBySingleRouter(): Promise<string[]> {
  const out = join(dir, 'resolved.txt')
  const hooks = pathToFileURL(join(REPO_ROOT, 'test', 'fixtures', 'record-resolved.mjs')).href
  const router = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'router', 'router.js')).href
  const script = `
    import { register } from 'node:module'
    register(${JSON.stringify(hooks)}, { data: { out: ${JSON.stringify(out)} } })
    const { Router } = await import(${JSON.stringify(router)})
    const r = new Router({ realms: [{ name: 'realm1', roles: { anonymous: { admin: true } } }] })
    await r.listen({ host: '127.0.0.1', port: 0 })
    process.stdout.write(r.url + '\\n')
    process.stdin.once('data', async () => { await r.close(); process.exit(0) })
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.stdout.setEncoding('utf8').once('data', (line: string) => {
      // A session uses the router for real (HELLO, a meta call) before the list is read.
      autobahnSession(line.trim())
        .then(async (s) => {
          const status = (await s.call(ClusterUri.status, [])) as ClusterStatus
          expect(status).toEqual({ cluster: null, node: null, nats: null, nodes: [] })
          s.leave('wamp.close.normal', '')
        })
        .catch(reject)
        .finally(() => child.stdin.write('done\n'))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`the router process exited with ${String(code)}: ${stderr}`))
      resolve(
        readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l.length > 0),
      )
    })
  })
}

describe('a single router (no cluster)', () => {
  it('loads nothing of NATS and no cluster module but its options', async () => {
    const loaded = await loadedBySingleRouter()
    expect(loaded.some((u) => u.endsWith('/dist/src/router/router.js'))).toBe(true)
    expect(loaded.some((u) => u.endsWith('/dist/src/router/dealer.js'))).toBe(true)
    // The hook sees cluster modules: options.js is the one the router imports (it has no NATS).
    expect(loaded.some((u) => u.endsWith('/dist/src/router/cluster/options.js'))).toBe(true)
    expect(loaded.filter((u) => u.includes('/@nats-io/'))).toEqual([])
    expect(loaded.filter((u) => u.includes('/router/cluster/') && !u.endsWith('/router/cluster/options.js'))).toEqual([])
  })

  it('answers wampctl.cluster.status with no cluster, and router.info does not list the cluster feature', async () => {
    const router = await startRouter()
    const s = await autobahnSession(router.url)
    expect(await s.call(ClusterUri.status, [])).toEqual({ cluster: null, node: null, nats: null, nodes: [] })
    const info = (await s.call(ExtensionUri.info, [])) as { features: string[] }
    expect(info.features).toContain('snapshot')
    expect(info.features).not.toContain('cluster')
  })
})
