import { describe, expect, it } from 'vitest'
import { connFlags, runCli, spawnCli } from '../support/cli.js'
import { startRouter } from '../support/router.js'
import { OPS, opsMeta, ROUTER_OPTIONS, startCallee, startLoad, URI } from '../ops/rollout-fixture.js'

/** `wampctl rollout replace` as a child process (built CLI: `npm run build` first); the router runs it. */
describe('wampctl rollout replace (CLI)', () => {
  it('replaces 2 callees with 2 new ones (exit 0) with zero failed calls, printing one line per event', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const old = [await startCallee(router.url, 'wampy', 'old'), await startCallee(router.url, 'autobahn', 'old')]
    const load = await startLoad(router.url)
    await load.answered(30)
    const cli = spawnCli(['rollout', 'replace', URI, '--count', '2', '--timeout', '30s', '--yes', ...connFlags(router.url, OPS)], {
      timeoutMs: 40_000,
    })
    await cli.waitFor((out) => out.includes('waiting for 2 new callee(s)'), 15_000)
    const fresh = [await startCallee(router.url, 'autobahn', 'new'), await startCallee(router.url, 'wampy', 'new')]
    const res = await cli.done
    await load.answered(30)
    const report = await load.stop()
    console.log(
      `[cli rollout replace] calls ${report.calls} ok ${report.ok} failed ${report.failed} answers ${JSON.stringify(report.answers)}`,
    )
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/new callee 2\/2/)
    for (const c of old) expect(res.stdout).toContain(`retired session ${c.session} (unregistered`)
    expect(res.stdout).toMatch(/^completed com\.example\.svc: 2 old callee\(s\) retired, 2 new one\(s\) serving/m)
    expect(report.failed).toBe(0)
    const meta = await opsMeta(router.url)
    const after = await meta.describe(await meta.resolveRegistration(URI))
    expect(after.callees.map((c) => c.session).sort()).toEqual(fresh.map((c) => c.session).sort())
  })

  it('exits 5 when --timeout runs out before enough new callees come; status then shows it timed out (exit 5)', async () => {
    const router = await startRouter(ROUTER_OPTIONS)
    const a = await startCallee(router.url, 'autobahn', 'old')
    const flags = connFlags(router.url, OPS)
    const res = await runCli(['rollout', 'replace', URI, '--count', '1', '--timeout', '500ms', '--yes', ...flags])
    expect(res.code).toBe(5)
    expect(res.stderr).toMatch(
      /^wampctl: replace rollout of com\.example\.svc timed out: only 0 of 1 new callee\(s\) came within the timeout; no callee was drained; 0 of 1 old callee\(s\) retired\n$/,
    )
    const status = await runCli(['rollout', 'status', URI, ...flags])
    expect(status.code).toBe(5)
    expect(status.stdout).toMatch(/ENDED timed_out/)
    expect(status.stdout).toMatch(new RegExp(`${a.session}\\s+\\S+\\s+old\\s+active\\s+1\\s`))
  })
})
