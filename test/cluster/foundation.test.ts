import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { realmBucket } from '../../src/router/cluster/keys.js'
import { runCli } from '../support/cli.js'
import { autobahnSession } from '../support/clients.js'
import { eventually, TestCluster } from '../support/cluster.js'

describe('cluster foundation: nodes join through a real nats-server', () => {
  let cluster: TestCluster

  beforeAll(async () => {
    cluster = await TestCluster.start(['a', 'b'])
  }, 90_000)

  afterAll(async () => {
    await cluster?.close()
  })

  it('each node serves WAMP and has its realm bucket with its replica marker', async () => {
    for (const name of ['a', 'b']) {
      const s = await autobahnSession(cluster.url(name))
      expect(s.id).toBeGreaterThan(0)
    }
    const nc = await connect({ servers: cluster.nats.url })
    try {
      const kv = await new Kvm(nc).open(realmBucket('wampctl', 'realm1'))
      const marks = await kv.keys('mark.>')
      const seen: string[] = []
      for await (const k of marks) seen.push(k)
      expect(seen.sort()).toEqual(['mark.a', 'mark.b'])
    } finally {
      await nc.close()
    }
  })

  it('a node that cannot reach NATS says so in one line and exits 1', async () => {
    const r = await runCli(['router', 'start', '--port', '0', '--no-context', '--cluster', 'nats://127.0.0.1:1', '--node', 'x'], {
      timeoutMs: 30_000,
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^wampctl: cannot join the cluster through NATS at nats:\/\/127\.0\.0\.1:1/m)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('--cluster without --node is a usage error', async () => {
    const r = await runCli(['router', 'start', '--port', '0', '--no-context', '--cluster', cluster.nats.url])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--cluster needs --node/)
  })
})

describe('cluster foundation: nodes starting at the same moment', () => {
  let cluster: TestCluster

  afterAll(async () => {
    await cluster?.close()
  })

  it('three nodes started together on a fresh NATS all join (one creates the buckets, the others open them)', async () => {
    cluster = await TestCluster.start([])
    await Promise.all(['x', 'y', 'z'].map((n) => cluster.startNode(n)))
    for (const n of ['x', 'y', 'z']) {
      const s = await autobahnSession(cluster.url(n))
      await eventually(async () => {
        const status = (await s.call('wampctl.cluster.status', [])) as { nodes: Array<{ node: string }> }
        expect(status.nodes.map((x) => x.node).sort()).toEqual(['x', 'y', 'z'])
      })
    }
  }, 120_000)
})
