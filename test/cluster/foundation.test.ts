import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, nkeys } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { realmBucket } from '../../src/router/cluster/keys.js'
import type { ClusterStatus } from '../../src/protocol/cluster.js'
import { connFlags, runCli } from '../support/cli.js'
import { autobahnSession } from '../support/clients.js'
import { eventually, RouterNode, TEST_REALM_CONFIG, TestCluster } from '../support/cluster.js'
import { NatsServer } from '../support/nats.js'
import { operatorMode } from '../support/nats-jwt.js'
import { makePki } from '../support/tls.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

  it('--cluster-replicas 3 against a single NATS server (not a cluster) is refused in one line', async () => {
    const single = await NatsServer.start()
    try {
      const r = await runCli(
        ['router', 'start', '--port', '0', '--no-context', '--cluster', single.url, '--node', 'r3', '--cluster-replicas', '3'],
        {
          timeoutMs: 30_000,
        },
      )
      expect(r.code).toBe(1)
      expect(r.stderr).toBe(
        'wampctl: cannot create the KV bucket wampctl_cluster with 3 replicas: replicas > 1 not supported in non-clustered mode\n',
      )
    } finally {
      await single.close()
    }
  })

  it('--cluster without --node is a usage error', async () => {
    const r = await runCli(['router', 'start', '--port', '0', '--no-context', '--cluster', cluster.nats.url])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--cluster needs --node/)
  })

  it('--heartbeat: a node beats at that interval; one not well below the node timeout, or without --cluster, is a usage error', async () => {
    const tooSlow = await runCli([
      'router',
      'start',
      '--port',
      '0',
      '--no-context',
      '--cluster',
      cluster.nats.url,
      '--node',
      'h0',
      '--heartbeat',
      '2s',
    ])
    expect(tooSlow.code).toBe(2)
    expect(tooSlow.stderr).toBe(
      'wampctl: --heartbeat 2s must be at most a third of the node timeout (5s, --node-timeout): two late heartbeats must not make a node dead\n',
    )
    const alone = await runCli(['router', 'start', '--port', '0', '--no-context', '--heartbeat', '300ms'])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toMatch(/^wampctl: the cluster flags \(--cluster-\*, --heartbeat, --node-timeout\) need --cluster/)
    const bad = await runCli([
      'router',
      'start',
      '--port',
      '0',
      '--no-context',
      '--cluster',
      cluster.nats.url,
      '--node',
      'h0',
      '--heartbeat',
      'often',
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^wampctl: bad --heartbeat 'often'/)
    const h = await cluster.startNode('h', { args: ['--heartbeat', '300ms'] })
    try {
      const joined = h.stderr.split('\n').find((l) => l.includes('cluster: joined'))
      expect(JSON.parse(joined!)).toMatchObject({ node: 'h', heartbeat_ms: 300, node_timeout_ms: 2000, replicas: 1 })
    } finally {
      await h.terminate()
      cluster.nodes.delete('h')
    }
  }, 90_000)

  it('a node started with another config file is flagged (a warning, not a refusal); once dead it is listed, then forgotten', async () => {
    const otherConfig = {
      realms: [
        {
          name: 'realm1',
          roles: {
            anonymous: { admin: true },
            admin: { admin: true },
            guest: { permissions: [{ uri: 'com.example.', match: 'prefix', allow: ['call'] }] },
          },
        },
      ],
    }
    const e = await cluster.startNode('e', { config: otherConfig })
    const status = async (): Promise<ClusterStatus> => {
      const r = await runCli(['cluster', 'status', '--json', ...connFlags(cluster.url('a'))])
      expect(r.code, r.stderr).toBe(0)
      return JSON.parse(r.stdout) as ClusterStatus
    }
    const seen = await eventually(async () => {
      const st = await status()
      expect(st.nodes.map((n) => n.node)).toEqual(['a', 'b', 'e'])
      return st
    }, 20_000)
    const [a, b, en] = seen.nodes
    expect(a!.config).toMatch(/^[0-9a-f]{12}$/)
    expect(b!.config).toBe(a!.config)
    expect([a!.config_differs, b!.config_differs]).toEqual([false, false])
    expect(en!.config).toMatch(/^[0-9a-f]{12}$/)
    expect(en!.config).not.toBe(a!.config)
    expect(en!.config_differs).toBe(true)
    const human = await runCli(['cluster', 'status', ...connFlags(cluster.url('a'))])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain(`${en!.config} (differs)`)
    expect(human.stdout.trimEnd().split('\n').at(-1)).toBe(
      `warning: node e runs another configuration (realms, roles, auth) than node a (${a!.config}): start every node with the same config file`,
    )
    // Each of the others logs it once.
    await eventually(() => {
      for (const n of ['a', 'b']) {
        const warnings = cluster
          .node(n)
          .stderr.split('\n')
          .filter((l) => l.includes('runs another configuration') && l.includes('"node":"e"'))
        expect(warnings).toHaveLength(1)
      }
    })
    // Dead: listed as such until 10 node timeouts (2 s here) after it was last heard, then forgotten.
    await e.kill9()
    cluster.nodes.delete('e')
    await eventually(async () => {
      const st = await status()
      expect(st.nodes.find((n) => n.node === 'e')?.state).toBe('dead')
    }, 20_000)
    await eventually(async () => {
      const st = await status()
      expect(st.nodes.map((n) => n.node)).toEqual(['a', 'b'])
    }, 60_000)
    expect(cluster.node('a').stderr).toMatch(
      /cluster: forgot a node dead for long.*"node":"e"|"node":"e".*cluster: forgot a node dead for long/,
    )
  }, 120_000)
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

  it('an nkey: a node with its seed (a file, --cluster-nkey, or the config file) joins; a wrong or malformed seed is refused in one line', async () => {
    const user = nkeys.createUser()
    const seed = new TextDecoder().decode(user.getSeed())
    const kdir = mkdtempSync(join(tmpdir(), 'wampctl-auth-'))
    writeFileSync(join(kdir, 'nats.conf'), `authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`)
    writeFileSync(join(kdir, 'node.nk'), `${seed}\n`, { mode: 0o600 })
    writeFileSync(join(kdir, 'wrong.nk'), new TextDecoder().decode(nkeys.createUser().getSeed()))
    writeFileSync(join(kdir, 'garbage.nk'), 'SUnot-a-seed\n')
    const nkeyNats = await NatsServer.start(['-c', join(kdir, 'nats.conf')])
    const started: RouterNode[] = []
    try {
      started.push(await RouterNode.start('k1', nkeyNats.url, kdir, { args: ['--cluster-nkey', join(kdir, 'node.nk')] }))
      started.push(
        await RouterNode.start('k2', nkeyNats.url, kdir, {
          config: { ...TEST_REALM_CONFIG, cluster: { servers: nkeyNats.url, node: 'k2', nkeySeed: seed } },
        }),
      )
      const s = await autobahnSession(started[0]!.url)
      await eventually(async () => {
        const status = (await s.call('wampctl.cluster.status', [])) as ClusterStatus
        expect(status.nodes.map((n) => [n.node, n.state])).toEqual([
          ['k1', 'alive'],
          ['k2', 'alive'],
        ])
      })
      const start = (args: string[]): ReturnType<typeof runCli> =>
        runCli(['router', 'start', '--port', '0', '--no-context', '--cluster', nkeyNats.url, '--node', 'k3', ...args], {
          timeoutMs: 30_000,
        })
      const [wrong, garbage, missing, none] = await Promise.all([
        start(['--cluster-nkey', join(kdir, 'wrong.nk')]),
        start(['--cluster-nkey', join(kdir, 'garbage.nk')]),
        start(['--cluster-nkey', join(kdir, 'missing.nk')]),
        start([]),
      ])
      for (const r of [wrong, garbage, missing, none]) {
        expect(r.code, r.stderr).toBe(1)
        expect(r.stderr.split('\n').filter((l) => l.length > 0)).toHaveLength(1)
        expect(r.stderr).not.toMatch(/\n\s+at /)
      }
      expect(wrong.stderr).toMatch(/^wampctl: cannot join the cluster through NATS at .*(Authorization|authorization|AUTHORIZATION)/)
      expect(none.stderr).toMatch(/^wampctl: cannot join the cluster through NATS at .*(Authorization|authorization|AUTHORIZATION)/)
      expect(garbage.stderr).toBe(
        `wampctl: ${join(kdir, 'garbage.nk')}: not a NATS user nkey seed (one line starting "SU", as \`nk -gen user\` prints)\n`,
      )
      expect(missing.stderr).toBe(`wampctl: cannot read the NATS nkey seed file (--cluster-nkey) ${join(kdir, 'missing.nk')}: ENOENT\n`)
    } finally {
      for (const n of started) await n.kill9()
      await nkeyNats.close()
      rmSync(kdir, { recursive: true, force: true })
    }
  }, 120_000)

  it('a .creds file (--cluster-creds): a node with one of the account joins a NATS in operator mode; a foreign user or a file that is no .creds is refused in one line', async () => {
    const mode = operatorMode()
    const cdir = mkdtempSync(join(tmpdir(), 'wampctl-creds-'))
    writeFileSync(join(cdir, 'nats.conf'), mode.config)
    writeFileSync(join(cdir, 'node.creds'), mode.creds(), { mode: 0o600 })
    writeFileSync(join(cdir, 'foreign.creds'), mode.foreignCreds())
    writeFileSync(join(cdir, 'seed.creds'), new TextDecoder().decode(nkeys.createUser().getSeed()))
    const credsNats = await NatsServer.start(['-c', join(cdir, 'nats.conf')])
    try {
      const node = await RouterNode.start('j1', credsNats.url, cdir, { args: ['--cluster-creds', join(cdir, 'node.creds')] })
      try {
        const s = await autobahnSession(node.url)
        const status = (await s.call('wampctl.cluster.status', [])) as ClusterStatus
        expect([status.node, status.nats?.state]).toEqual(['j1', 'connected'])
      } finally {
        await node.kill9()
      }
      const start = (file: string): ReturnType<typeof runCli> =>
        runCli(
          [
            'router',
            'start',
            '--port',
            '0',
            '--no-context',
            '--cluster',
            credsNats.url,
            '--node',
            'j2',
            '--cluster-creds',
            join(cdir, file),
          ],
          {
            timeoutMs: 30_000,
          },
        )
      const [foreign, notCreds] = await Promise.all([start('foreign.creds'), start('seed.creds')])
      for (const r of [foreign, notCreds]) {
        expect(r.code, r.stderr).toBe(1)
        expect(r.stderr.split('\n').filter((l) => l.length > 0)).toHaveLength(1)
      }
      expect(foreign.stderr).toMatch(/^wampctl: cannot join the cluster through NATS at .*(Authorization|authorization|AUTHORIZATION)/)
      expect(notCreds.stderr).toBe(`wampctl: ${join(cdir, 'seed.creds')} is not a NATS .creds file (no "BEGIN NATS USER JWT" block)\n`)
    } finally {
      await credsNats.close()
      rmSync(cdir, { recursive: true, force: true })
    }
  }, 120_000)

  it('TLS: a node given the CA (--cluster-ca) joins a NATS that requires TLS (tls:// URL); one without it is refused in one line', async () => {
    const pki = makePki()
    const tlsNats = await NatsServer.start(['--tls', '--tlscert', pki.serverCert, '--tlskey', pki.serverKey])
    const tdir = mkdtempSync(join(tmpdir(), 'wampctl-tls-'))
    try {
      const url = `tls://127.0.0.1:${tlsNats.port}`
      const node = await RouterNode.start('s1', url, tdir, { args: ['--cluster-ca', pki.caCert] })
      try {
        const s = await autobahnSession(node.url)
        const status = (await s.call('wampctl.cluster.status', [])) as ClusterStatus
        expect(status.node).toBe('s1')
        expect(status.nats).toEqual({ servers: [url], state: 'connected', server: `127.0.0.1:${tlsNats.port}` })
      } finally {
        await node.kill9()
      }
      const refused = await runCli(['router', 'start', '--port', '0', '--no-context', '--cluster', url, '--node', 's2'], {
        timeoutMs: 30_000,
      })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/^wampctl: cannot join the cluster through NATS at tls:\/\/127\.0\.0\.1:\d+: .*certificate/)
      expect(refused.stderr.split('\n').filter((l) => l.length > 0)).toHaveLength(1)
    } finally {
      await tlsNats.close()
      rmSync(tdir, { recursive: true, force: true })
    }
  }, 120_000)
})
