import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { realmBucket } from '../../src/router/cluster/keys.js'
import { runCli } from '../support/cli.js'
import { autobahnSession } from '../support/clients.js'
import { eventually, RouterNode, TestCluster } from '../support/cluster.js'
import { NatsServer } from '../support/nats.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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

describe('cluster foundation: nodes authenticate to NATS', () => {
  let nats: NatsServer | undefined
  let dir: string | undefined
  const nodes: RouterNode[] = []

  afterAll(async () => {
    for (const n of nodes) await n.kill9()
    await nats?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('user and password: a node with them joins; one without them is refused in one line', async () => {
    nats = await NatsServer.start(['--user', 'wamp', '--pass', 's3cret'])
    dir = mkdtempSync(join(tmpdir(), 'wampctl-auth-'))
    nodes.push(await RouterNode.start('u1', nats.url, dir, { args: ['--cluster-user', 'wamp', '--cluster-pass', 's3cret'] }))
    const s = await autobahnSession(nodes[0]!.url)
    const status = (await s.call('wampctl.cluster.status', [])) as { node: string; nats: { state: string } }
    expect(status.node).toBe('u1')
    expect(status.nats.state).toBe('connected')
    const refused = await runCli(['router', 'start', '--port', '0', '--no-context', '--cluster', nats.url, '--node', 'u2'], {
      timeoutMs: 30_000,
    })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^wampctl: cannot join the cluster through NATS at .*(Authorization|authorization|AUTHORIZATION)/m)
    expect(refused.stderr).not.toMatch(/\n\s+at /)
  }, 120_000)

  it('a token: a node with it joins', async () => {
    const tokenNats = await NatsServer.start(['--auth', 'tok-123'])
    try {
      const tdir = mkdtempSync(join(tmpdir(), 'wampctl-auth-'))
      try {
        const node = await RouterNode.start('t1', tokenNats.url, tdir, { args: ['--cluster-token', 'tok-123'] })
        nodes.push(node)
        const s = await autobahnSession(node.url)
        const status = (await s.call('wampctl.cluster.status', [])) as { node: string }
        expect(status.node).toBe('t1')
      } finally {
        rmSync(tdir, { recursive: true, force: true })
      }
    } finally {
      for (const n of nodes.splice(1)) await n.kill9()
      await tokenNats.close()
    }
  }, 120_000)
})
