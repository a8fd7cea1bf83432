import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/cli.js'
import { parseSamples, scrape } from '../support/prometheus.js'
import { RawPeer } from '../support/raw-peer.js'
import { startRouter } from '../support/router.js'

/** examples/grafana-dashboard.json: an importable dashboard whose queries parse and name metrics the router exports. */

interface Panel {
  type: string
  title: string
  datasource?: { type: string; uid: string }
  targets?: Array<{ expr: string }>
}
interface Dashboard {
  uid: string
  title: string
  panels: Panel[]
  templating: { list: Array<{ name: string; type: string; query: unknown }> }
}

const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'grafana-dashboard.json'), 'utf8')) as Dashboard
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })))

/** The expression as Prometheus would get it from Grafana: variables replaced by what "All" sends. */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replace(/\$(instance|realm|procedure)\b/g, '.*')
}

describe('examples/grafana-dashboard.json', () => {
  it('is a dashboard model with a Prometheus data source variable every panel uses', () => {
    expect(dashboard.uid).toBe('wampctl-router')
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' })
    for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' })
    }
    const titles = dashboard.panels.map((p) => p.title)
    expect(titles).toEqual(expect.arrayContaining(['Per-callee share of calls', 'Calls/s per procedure', 'p99 latency per procedure']))
  })

  it('every query parses (promtool check rules) and names only metrics the router exports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wampctl-dashboard-'))
    const rules = {
      groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: concrete(q.expr) })) }],
    }
    writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules)) // JSON is YAML
    const check = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.json')], { encoding: 'utf8', timeout: 30_000 })
    expect(`${check.stdout}${check.stderr}`).toContain(`SUCCESS: ${queries.length} rules found`)
    expect(check.status).toBe(0)

    const router = await startRouter({ admin: { port: 0 } })
    const callee = await RawPeer.joined(router.url)
    await callee.register('com.example.x')
    const exported = new Set(parseSamples((await scrape(router.adminUrl!)).text).map((s) => s.name))
    const used = new Set(queries.flatMap((q) => q.expr.match(/\bwampctl_[a-z_]+/g) ?? []))
    expect(used.size).toBeGreaterThan(10)
    for (const name of used) expect(exported, name).toContain(name)
  })
})
