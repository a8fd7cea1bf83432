import { describe, expect, it } from 'vitest'
import { connFlags, runCli } from '../support/cli.js'
import { readRouter } from './read-fixtures.js'

/** `wampctl cluster status` against a single router (a cluster: test/cluster/ops.test.ts; Crossbar: test/crossbar). */
describe('wampctl cluster status on a single router', () => {
  it('says in one line that it is not a cluster (exit 0), with or without the extensions; --json prints the router’s answer, cluster null', async () => {
    for (const extensions of [true, false]) await notACluster(extensions)
  })
})

async function notACluster(extensions: boolean): Promise<void> {
  const router = await readRouter(extensions)
  const flags = connFlags(router.url)
  const [human, json] = await Promise.all([runCli(['cluster', 'status', ...flags]), runCli(['cluster', 'status', '--json', ...flags])])
  expect(human.code, human.stderr).toBe(0)
  expect(human.stderr).toBe('')
  expect(human.stdout).toBe(`the router at ${router.url} is not a cluster (a single router)\n`)
  expect(json.code, json.stderr).toBe(0)
  expect(JSON.parse(json.stdout)).toEqual({ cluster: null, node: null, nats: null, nodes: [] })
}
