import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Kvm, KvWatchInclude } from '@nats-io/kv'
import { purgeDeleteMarkers } from '../../src/router/cluster/delete-markers.js'
import { openBucket } from '../../src/router/cluster/link.js'
import { NatsServer } from '../support/nats.js'

describe('cluster buckets: old delete markers are purged', () => {
  let nats: NatsServer
  let nc: NatsConnection

  beforeAll(async () => {
    nats = await NatsServer.start()
    nc = await connect({ servers: nats.url })
  }, 60_000)

  afterAll(async () => {
    await nc?.close()
    await nats?.close()
  })

  it('a deleted key leaves a marker until the sweep; the keys still there are untouched', async () => {
    const kv = await openBucket(new Kvm(nc), 'sweep_test')
    for (let i = 0; i < 20; i++) await kv.put(`ses.${i}`, new TextEncoder().encode(`s${i}`))
    for (let i = 0; i < 15; i++) await kv.delete(`ses.${i}`)
    const operations = async (): Promise<string[]> => {
      const out: string[] = []
      const it = await kv.history({ key: '>' })
      for await (const e of it) out.push(`${e.key}:${e.operation}`)
      return out
    }
    expect((await operations()).filter((o) => o.endsWith(':DEL'))).toHaveLength(15)
    await purgeDeleteMarkers(kv, 0)
    const left = await operations()
    expect(left.filter((o) => o.endsWith(':DEL'))).toEqual([])
    expect(left.sort()).toEqual(['ses.15:PUT', 'ses.16:PUT', 'ses.17:PUT', 'ses.18:PUT', 'ses.19:PUT'])
    // A replica starting now sees exactly the live keys.
    const seen: string[] = []
    const w = await kv.watch({ include: KvWatchInclude.LastValue })
    for await (const e of w) {
      seen.push(`${e.key}:${e.operation}`)
      if (seen.length === 5) break
    }
    w.stop()
    expect(seen.sort()).toEqual(left.sort())
  }, 60_000)
})
