import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLUSTER_FEATURE, ClusterUri, type ClusterNodeStatus, type ClusterStatus } from '../../src/protocol/cluster.js'
import { ExtensionUri } from '../../src/protocol/extensions.js'
import { autobahnSession } from '../support/clients.js'
import { eventually, TestCluster } from '../support/cluster.js'

async function status(url: string): Promise<ClusterStatus> {
  const s = await autobahnSession(url)
  try {
    return (await s.call(ClusterUri.status, [])) as ClusterStatus
  } finally {
    s.leave('wamp.close.normal', '')
  }
}

function byName(st: ClusterStatus): Record<string, ClusterNodeStatus> {
  return Object.fromEntries(st.nodes.map((n) => [n.node, n]))
}

describe('cluster membership and failures (real nats-server, node processes)', () => {
  let cluster: TestCluster

  beforeAll(async () => {
    cluster = await TestCluster.start(['a', 'b', 'c'])
  }, 90_000)

  afterAll(async () => {
    await cluster?.close()
  })

  it('every node answers wampctl.cluster.status with every node, itself marked self', async () => {
    for (const name of ['a', 'b', 'c']) {
      const st = await eventually(async () => {
        const st = await status(cluster.url(name))
        expect(st.nodes.map((n) => n.node)).toEqual(['a', 'b', 'c'])
        return st
      })
      expect(st.cluster).toBe('wampctl')
      expect(st.node).toBe(name)
      expect(st.nats).toEqual({ servers: [cluster.nats.url], state: 'connected' })
      const nodes = byName(st)
      for (const n of ['a', 'b', 'c']) {
        expect(nodes[n]!.state).toBe('alive')
        expect(nodes[n]!.self).toBe(n === name)
        expect(nodes[n]!.nats).toBe('connected')
        expect(nodes[n]!.incarnation).toMatch(/^[0-9a-f]{12}$/)
      }
      expect(nodes[name]!.url).toBe(cluster.url(name))
      expect(nodes[name]!.last_seen_ms).toBe(0)
    }
    // Each node reports its own sessions: the one asking is on the node it asks.
    const st = await status(cluster.url('b'))
    expect(byName(st).b!.sessions).toBe(1)
  })

  it('router.info lists the cluster feature on a cluster node', async () => {
    const s = await autobahnSession(cluster.url('a'))
    const info = (await s.call(ExtensionUri.info, [])) as { features: string[] }
    expect(info.features).toContain(CLUSTER_FEATURE)
  })

  it('a node killed with kill -9 is dead for the others; started again, it is a new life', async () => {
    const before = byName(await status(cluster.url('a'))).c!
    await cluster.node('c').kill9()
    for (const name of ['a', 'b']) {
      await eventually(async () => {
        const c = byName(await status(cluster.url(name))).c!
        expect(c.state).toBe('dead')
        expect(c.incarnation).toBe(before.incarnation)
      })
    }
    await cluster.startNode('c')
    const after = await eventually(async () => {
      const c = byName(await status(cluster.url('a'))).c!
      expect(c.state).toBe('alive')
      return c
    })
    expect(after.incarnation).not.toBe(before.incarnation)
  }, 60_000)

  it('a node stopped with SIGTERM announces its departure: the others drop it, not mark it dead after the timeout', async () => {
    await eventually(async () => expect(byName(await status(cluster.url('a'))).b?.state).toBe('alive'))
    expect(await cluster.node('b').terminate()).toBe(0)
    cluster.nodes.delete('b')
    // Silent past the timeout, b would stay listed as dead: dropped, it said it left.
    await eventually(async () => {
      const st = await status(cluster.url('a'))
      expect(st.nodes.map((n) => n.node)).toEqual(['a', 'c'])
    })
  }, 60_000)
})
