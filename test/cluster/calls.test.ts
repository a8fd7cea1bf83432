import { describe, expect, it } from 'vitest'
import { autobahnSession, wampySession, type SerializerName } from '../support/clients.js'
import { calleesSeen, eventually, TestCluster } from '../support/cluster.js'
import { failureOf, openPeer, type ClientKind, type Payload } from '../support/peers.js'
import { RawPeer, type Message } from '../support/raw-peer.js'

/**
 * Calls that cross nodes (docs/cluster.md, "Calls across nodes"): a caller on one node, its callee
 * on another, real clients over each serializer, three router nodes on a real nats-server.
 */

const cluster = TestCluster.forFile(['a', 'b', 'c'])

let uriCount = 0
/** A URI no other test of this file uses (the registrations of one test may still be leaving). */
function freshUri(name: string): string {
  return `com.calls.t${++uriCount}.${name}`
}

/** Waits until node `node` sees `count` callees of `uri` (its replica of the registry caught up). */
const seen = (node: string, uri: string, count: number, match = 'exact'): Promise<void> => calleesSeen(cluster, node, uri, count, match)

/** A raw callee on `node` of `uri` (announces call_canceling and progressive results); resolves once `from` sees it. */
async function rawCallee(node: string, uri: string, from: string, options: Record<string, unknown> = {}, ser: SerializerName = 'json') {
  const callee = await RawPeer.joined(cluster.url(node), ser)
  const registered = await callee.register(uri, options)
  expect(registered[0]).toBe(65)
  await seen(from, uri, 1, (options.match as string | undefined) ?? 'exact')
  return callee
}

describe('calls across nodes', () => {
  const pairs: Array<[ClientKind, SerializerName, ClientKind, SerializerName]> = [
    ['wampy', 'json', 'autobahn', 'msgpack'],
    ['autobahn', 'msgpack', 'wampy', 'cbor'],
    ['wampy', 'cbor', 'autobahn', 'json'],
    ['autobahn', 'json', 'wampy', 'json'],
  ]
  it.each(pairs)(
    '%s caller over %s on node a, %s callee over %s on node b: arguments and keyword arguments arrive',
    async (ck, cs, ek, es) => {
      const uri = freshUri('echo')
      const callee = await openPeer(ek, cluster.url('b'), es)
      await callee.register(uri, (inv) => ({ args: [...inv.args, 'from b'], kwargs: { ...inv.kwargs, node: 'b' } }))
      await seen('a', uri, 1)
      const caller = await openPeer(ck, cluster.url('a'), cs)
      const r = await caller.call(uri, [1, 'two', { three: [3] }, 2 ** 40], { k: true })
      expect(r.args).toEqual([1, 'two', { three: [3] }, 2 ** 40, 'from b'])
      expect(r.kwargs).toEqual({ k: true, node: 'b' })
    },
  )

  it.each([
    ['cbor', 'json'],
    ['json', 'msgpack'],
    ['msgpack', 'cbor'],
  ] as const)('binary payloads cross as bytes: a %s caller on a, a %s callee on c', async (cs, es) => {
    const uri = freshUri('bytes')
    const callee = await rawCallee('c', uri, 'a', {}, es)
    const asSent = (bytes: number[], ser: SerializerName): unknown =>
      ser === 'json' ? '\0' + Buffer.from(bytes).toString('base64') : Buffer.from(bytes)
    let received: unknown
    callee.serve((inv) => {
      received = inv[4]
      return [70, inv[1], {}, [asSent([9, 8, 0, 255], es)]]
    })
    const caller = await RawPeer.joined(cluster.url('a'), cs)
    const reply = await caller.call(uri, [asSent([0, 1, 2, 255], cs)])
    expect(normalizeBinary(received, es)).toEqual([[0, 1, 2, 255]])
    expect(normalizeBinary(reply[3], cs)).toEqual([[9, 8, 0, 255]])
  })

  it('progressive results reach a caller on another node, in order, before the final result', async () => {
    const uri = freshUri('progress')
    const callee = await openPeer('autobahn', cluster.url('b'), 'cbor')
    await callee.register(uri, (inv) => {
      inv.progress!([1])
      inv.progress!([2])
      inv.progress!([3])
      return { args: ['done'] }
    })
    await seen('c', uri, 1)
    for (const kind of ['autobahn', 'wampy'] as const) {
      const caller = await openPeer(kind, cluster.url('c'), 'msgpack')
      const progress: Payload[] = []
      const result = await caller.call(uri, [], {}, { onProgress: (p) => progress.push(p) })
      expect(progress.map((p) => p.args)).toEqual([[1], [2], [3]])
      expect(result.args).toEqual(['done'])
    }
  })

  it('a caller that did not ask for progress gets only the final result; the callee is not asked for it', async () => {
    const uri = freshUri('noprogress')
    const callee = await rawCallee('b', uri, 'a')
    const caller = await RawPeer.joined(cluster.url('a'), 'msgpack')
    const r = caller.nextRequest()
    caller.send([48, r, {}, uri])
    const inv = await callee.nextOf(68)
    expect(inv[3]).toEqual({})
    callee.send([70, inv[1], { progress: true }, ['p']])
    callee.send([70, inv[1], {}, ['final']])
    expect(await caller.callReply(r)).toEqual([50, r, {}, ['final']])
    expect(caller.received.filter((m) => m[0] === 50)).toHaveLength(1)
  })

  describe.each(['skip', 'killnowait'] as const)('cancel %s, caller on a, callee on b', (mode) => {
    it('the caller gets wamp.error.canceled at once; the late answer is dropped', async () => {
      const uri = freshUri(`cancel_${mode}`)
      const callee = await rawCallee('b', uri, 'a', {}, 'msgpack')
      const caller = await wampySession(cluster.url('a'), 'cbor')
      const pending = caller.call(uri, ['x'])
      const request = caller.getOpStatus().reqId
      const inv = await callee.nextOf(68)
      caller.cancel(request, { mode })
      const err = await failureOf(pending)
      expect(err.uri).toBe('wamp.error.canceled')
      if (mode === 'killnowait') expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'killnowait' }])
      callee.send([70, inv[1], {}, ['too late']])
      callee.serve((i) => [70, i[1], {}, ['next']])
      expect((await caller.call(uri)).argsList).toEqual(['next'])
      // Messages between two nodes keep their order: an INTERRUPT would have come before the next INVOCATION.
      if (mode === 'skip') expect(callee.received.some((m) => m[0] === 69)).toBe(false)
    })
  })

  it("cancel skip frees the callee's slot on its node: the next call reaches a callee with concurrency 1", async () => {
    const uri = freshUri('skip_slot')
    const callee = await rawCallee('b', uri, 'a', { concurrency: 1 })
    const caller = await wampySession(cluster.url('a'), 'json')
    const pending = caller.call(uri)
    const inv = await callee.nextOf(68)
    caller.cancel(caller.getOpStatus().reqId, { mode: 'skip' })
    expect((await failureOf(pending)).uri).toBe('wamp.error.canceled')
    callee.serve((i) => [70, i[1], {}, ['next']])
    expect((await caller.call(uri)).argsList).toEqual(['next'])
    callee.send([70, inv[1], {}, ['too late']])
    expect(callee.received.some((m) => m[0] === 69)).toBe(false)
  })

  it('cancel kill: the callee on another node is interrupted and the caller gets what it answers', async () => {
    const uri = freshUri('kill')
    const callee = await rawCallee('c', uri, 'b', {}, 'cbor')
    const caller = await autobahnSession(cluster.url('b'), 'json')
    const pending = caller.call(uri) as unknown as { cancel(o: object): void } & Promise<unknown>
    const inv = await callee.nextOf(68)
    pending.cancel({ mode: 'kill' })
    expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'kill' }])
    callee.send([8, 68, inv[1], {}, 'wamp.error.canceled', ['stopped'], { at: 3 }])
    const err = await failureOf(pending)
    expect([err.uri, err.args, err.kwargs]).toEqual(['wamp.error.canceled', ['stopped'], { at: 3 }])
  })

  it('cancel kill to a callee without call_canceling: the caller gets wamp.error.canceled from its node', async () => {
    const uri = freshUri('kill_nocancel')
    const callee = await RawPeer.joined(cluster.url('b'), 'json', { roles: { callee: { features: {} } } })
    await callee.register(uri)
    await seen('a', uri, 1)
    const caller = await autobahnSession(cluster.url('a'), 'msgpack')
    const pending = caller.call(uri) as unknown as { cancel(o: object): void } & Promise<unknown>
    await callee.nextOf(68)
    pending.cancel({ mode: 'kill' })
    expect((await failureOf(pending)).uri).toBe('wamp.error.canceled')
    callee.serve((i) => [70, i[1], {}, ['next']])
    expect(await caller.call(uri)).toBe('next')
    expect(callee.received.some((m) => m[0] === 69)).toBe(false)
  })

  it("the caller's timeout: wamp.error.timeout to the caller, an INTERRUPT with the reason to the callee on another node", async () => {
    const uri = freshUri('timeout')
    const callee = await rawCallee('b', uri, 'a')
    const caller = await RawPeer.joined(cluster.url('a'), 'cbor')
    const reply = caller.call(uri, [], undefined, { timeout: 150 })
    const inv = await callee.nextOf(68)
    const answer = await reply
    expect([answer[0], answer[4]]).toEqual([8, 'wamp.error.timeout'])
    expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'killnowait', reason: 'wamp.error.timeout' }])
  })

  it("the callee's _deadline_ms is kept by the callee's node: the caller on another node gets wamp.error.timeout", async () => {
    const uri = freshUri('deadline')
    const callee = await rawCallee('c', uri, 'a', { _deadline_ms: 150 }, 'msgpack')
    const caller = await openPeer('wampy', cluster.url('a'), 'json')
    const pending = caller.call(uri)
    const inv = await callee.nextOf(68)
    expect((await failureOf(pending)).uri).toBe('wamp.error.timeout')
    expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'killnowait', reason: 'wamp.error.timeout' }])
  })

  it.each([
    ['prefix', 'com.calls.pfx.', 'com.calls.pfx.deep.er'],
    ['wildcard', 'com.calls..wild', 'com.calls.any.wild'],
  ])('a %s registration on b: the INVOCATION names the procedure called on a', async (match, pattern, called) => {
    const callee = await rawCallee('b', pattern, 'a', { match })
    callee.serve((inv) => [70, inv[1], {}, [(inv[3] as { procedure?: string }).procedure]])
    const caller = await openPeer('autobahn', cluster.url('a'), 'cbor')
    expect((await caller.call(called)).args).toEqual([called])
  })

  it('caller disclosure: disclose_me from a caller on a, disclose_caller of a callee on b, neither', async () => {
    const uri = freshUri('disclose')
    const wants = freshUri('disclose_callee')
    const plain = await rawCallee('b', uri, 'a')
    const curious = await rawCallee('b', wants, 'a', { disclose_caller: true })
    for (const c of [plain, curious]) c.serve((inv) => [70, inv[1], {}, [inv[3]]])
    const caller = await RawPeer.joined(cluster.url('a'), 'msgpack')
    const welcome = caller.received[0]![2] as { authid: string; authrole: string }
    const me = { caller: caller.sessionId, caller_authid: welcome.authid, caller_authrole: welcome.authrole }
    expect((await caller.call(uri, [], undefined, { disclose_me: true }))[3]).toEqual([me])
    expect((await caller.call(wants))[3]).toEqual([me])
    expect((await caller.call(uri))[3]).toEqual([{}])
  })

  it('rerouting: a callee on b answers wamp.error.unavailable, the call goes to the callee on c', async () => {
    const uri = freshUri('reroute')
    const busy = await rawCallee('b', uri, 'a', { invoke: 'first' })
    const spare = await RawPeer.joined(cluster.url('c'))
    expect((await spare.register(uri, { invoke: 'first' }))[0]).toBe(65)
    await seen('a', uri, 2)
    busy.serve((inv) => [8, 68, inv[1], {}, 'wamp.error.unavailable'])
    spare.serve((inv) => [70, inv[1], {}, ['from c']])
    const caller = await openPeer('wampy', cluster.url('a'), 'msgpack')
    for (let i = 0; i < 3; i++) expect((await caller.call(uri)).args).toEqual(['from c'])
    expect(busy.received.filter((m) => m[0] === 68)).toHaveLength(3)
  })

  it('a callee at its concurrency cap on its node answers unavailable there: the call goes to another callee', async () => {
    const uri = freshUri('capped')
    const capped = await rawCallee('b', uri, 'a', { invoke: 'first', concurrency: 1 })
    const spare = await RawPeer.joined(cluster.url('c'))
    expect((await spare.register(uri, { invoke: 'first' }))[0]).toBe(65)
    await seen('a', uri, 2)
    spare.serve((inv) => [70, inv[1], {}, ['from c']])
    // A caller on b takes the capped callee's one slot (node a does not count it: only b does).
    const local = await RawPeer.joined(cluster.url('b'))
    const held = local.nextRequest()
    local.send([48, held, {}, uri])
    const inv = await capped.nextOf(68)
    const caller = await openPeer('autobahn', cluster.url('a'), 'msgpack')
    expect((await caller.call(uri)).args).toEqual(['from c'])
    capped.send([70, inv[1], {}, ['from b']])
    expect(await local.callReply(held)).toEqual([50, held, {}, ['from b']])
    expect(capped.received.filter((m) => m[0] === 68)).toHaveLength(1)
  })

  it("the callee's session is lost mid-call: the caller on another node gets wamp.error.canceled", async () => {
    const uri = freshUri('lost')
    const callee = await rawCallee('b', uri, 'c')
    const caller = await openPeer('autobahn', cluster.url('c'), 'json')
    const pending = caller.call(uri)
    await callee.nextOf(68)
    callee.terminate()
    expect((await failureOf(pending)).uri).toBe('wamp.error.canceled')
  })

  it('the caller leaves mid-call: the callee on another node gets an INTERRUPT', async () => {
    const uri = freshUri('caller_gone')
    const callee = await rawCallee('b', uri, 'a')
    const caller = await RawPeer.joined(cluster.url('a'))
    caller.send([48, caller.nextRequest(), {}, uri])
    const inv = await callee.nextOf(68)
    caller.terminate()
    expect(await callee.nextOf(69)).toEqual([69, inv[1], { mode: 'killnowait' }])
  })

  it('a directed call (_callee) reaches a callee on another node that takes no other calls (weight 0)', async () => {
    const uri = freshUri('directed')
    const dark = await rawCallee('b', uri, 'a', { invoke: 'roundrobin', _weight: 0 })
    const lit = await RawPeer.joined(cluster.url('c'))
    expect((await lit.register(uri, { invoke: 'roundrobin' }))[0]).toBe(65)
    await seen('a', uri, 2)
    dark.serve((inv) => [70, inv[1], {}, ['from b']])
    lit.serve((inv) => [70, inv[1], {}, ['from c']])
    const caller = await RawPeer.joined(cluster.url('a'))
    expect((await caller.call(uri))[3]).toEqual(['from c'])
    expect((await caller.call(uri, [], undefined, { _callee: dark.sessionId }))[3]).toEqual(['from b'])
  })

  it('roundrobin over callees on all three nodes is fair from a caller on one node', async () => {
    const uri = freshUri('rr')
    const served = new Map<string, number>()
    for (const node of ['a', 'b', 'c']) {
      const callee = await RawPeer.joined(cluster.url(node), node === 'b' ? 'cbor' : 'json')
      expect((await callee.register(uri, { invoke: 'roundrobin' }))[0]).toBe(65)
      callee.serve((inv) => {
        served.set(node, (served.get(node) ?? 0) + 1)
        return [70, inv[1], {}, [node]]
      })
    }
    await seen('b', uri, 3)
    const caller = await openPeer('wampy', cluster.url('b'), 'json')
    for (let i = 0; i < 30; i++) await caller.call(uri)
    expect(Object.fromEntries(served)).toEqual({ a: 10, b: 10, c: 10 })
  })

  it('many calls in flight at once from two nodes to a callee on a third all get their own answers', async () => {
    const uri = freshUri('many')
    const callee = await rawCallee('c', uri, 'a', {}, 'msgpack')
    await seen('b', uri, 1)
    callee.serve((inv) => [70, inv[1], {}, inv[4] as unknown[]])
    const callers = [await RawPeer.joined(cluster.url('a'), 'json'), await RawPeer.joined(cluster.url('b'), 'cbor')]
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => callers[i % 2]!.call(uri, [i])))
    expect(replies.map((r: Message) => (r[3] as number[])[0])).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  // A turn's frames from one node to another go as one NATS message, split under NATS's max_payload
  // (1 MiB by default): these calls carry 1.6 MB each way in one burst.
  it('large binary payloads in one burst cross both ways, each call getting its own bytes back', async () => {
    const uri = freshUri('large')
    const callee = await rawCallee('b', uri, 'a', {}, 'msgpack')
    const burst = 4
    const pending: Message[] = []
    // Answer only once every INVOCATION is here, all at once: the callee's node sends them in one turn.
    callee.serve((inv) => {
      pending.push(inv)
      if (pending.length === burst)
        for (const p of pending.splice(0)) callee.send([70, p[1], {}, [Buffer.alloc(400_000, 255 - ((p[4] as number[])[0] as number))]])
      return undefined
    })
    const caller = await RawPeer.joined(cluster.url('a'), 'msgpack')
    const replies = await Promise.all(Array.from({ length: burst }, (_, i) => caller.call(uri, [i, Buffer.alloc(400_000, i)])))
    replies.forEach((r, i) => {
      expect(r[0]).toBe(50)
      expect(Buffer.from((r[3] as Uint8Array[])[0]!).equals(Buffer.alloc(400_000, 255 - i))).toBe(true)
    })
  })

  it("a call or a result larger than NATS's max_payload: the caller gets wamp.error.payload_size_exceeded, not a hang", async () => {
    const uri = freshUri('toolarge')
    const callee = await rawCallee('b', uri, 'c', {}, 'msgpack')
    callee.serve((inv) => [70, inv[1], {}, [(inv[4] as unknown[])[0] === 'big result' ? Buffer.alloc(1_200_000) : 'ok']])
    const caller = await RawPeer.joined(cluster.url('c'), 'msgpack')
    const bigCall = await caller.call(uri, [Buffer.alloc(1_200_000)])
    expect([bigCall[0], bigCall[4]]).toEqual([8, 'wamp.error.payload_size_exceeded'])
    const bigResult = await caller.call(uri, ['big result'])
    expect([bigResult[0], bigResult[4]]).toEqual([8, 'wamp.error.payload_size_exceeded'])
    expect((await caller.call(uri, ['small']))[3]).toEqual(['ok'])
  })

  it('progressive results sent in one burst, some of them large, reach the caller on another node in order', async () => {
    const uri = freshUri('burst')
    const callee = await rawCallee('c', uri, 'b', {}, 'msgpack')
    const count = 60
    // Every 20th progress carries 300 kB, so the burst spans several NATS messages.
    const chunk = (i: number): unknown => (i % 20 === 0 ? Buffer.alloc(300_000, i) : i)
    callee.serve((inv) => {
      for (let i = 0; i < count; i++) callee.send([70, inv[1], { progress: true }, [i, chunk(i)]])
      return [70, inv[1], {}, ['done']]
    })
    const caller = await RawPeer.joined(cluster.url('b'), 'cbor')
    const result = await caller.call(uri, [], {}, { receive_progress: true })
    expect(result[3]).toEqual(['done'])
    const progress = caller.received.filter((m) => m[0] === 50 && (m[2] as { progress?: boolean }).progress === true)
    expect(progress.map((m) => (m[3] as unknown[])[0])).toEqual(Array.from({ length: count }, (_, i) => i))
    for (const m of progress) {
      const [i, c] = m[3] as [number, unknown]
      if (i % 20 === 0) expect(Buffer.from(c as Uint8Array).equals(Buffer.alloc(300_000, i))).toBe(true)
      else expect(c).toBe(i)
    }
  })
})

/** These change the cluster (a node dies, NATS goes away): they run last, in this order. */
describe('calls across nodes when a node or NATS is lost', () => {
  it("the callee's whole node dies with a call in flight: the caller gets wamp.error.canceled, the next call goes to a survivor", async () => {
    const uri = freshUri('node_lost')
    const doomed = await rawCallee('c', uri, 'a', { invoke: 'first' })
    const survivor = await RawPeer.joined(cluster.url('b'))
    expect((await survivor.register(uri, { invoke: 'first' }))[0]).toBe(65)
    await seen('a', uri, 2)
    survivor.serve((inv) => [70, inv[1], {}, ['from b']])
    const caller = await openPeer('wampy', cluster.url('a'), 'cbor')
    const pending = caller.call(uri)
    await doomed.nextOf(68)
    await cluster.node('c').kill9()
    // Node a declares c dead after the node timeout (2 s here): its proxies go, their callers are answered.
    expect((await failureOf(pending)).uri).toBe('wamp.error.canceled')
    await seen('a', uri, 1)
    expect((await caller.call(uri)).args).toEqual(['from b'])
  })

  it('NATS away: a call to a callee on another node fails fast, a local callee still answers; NATS back, calls cross again', async () => {
    const remoteOnly = freshUri('nats_remote')
    const both = freshUri('nats_both')
    const remote = await rawCallee('b', remoteOnly, 'a')
    remote.serve((inv) => [70, inv[1], {}, ['from b']])
    const far = await RawPeer.joined(cluster.url('b'))
    expect((await far.register(both, { invoke: 'first' }))[0]).toBe(65)
    await seen('a', both, 1)
    const near = await RawPeer.joined(cluster.url('a'))
    expect((await near.register(both, { invoke: 'first' }))[0]).toBe(65)
    await seen('a', both, 2)
    far.serve((inv) => [70, inv[1], {}, ['from b']])
    near.serve((inv) => [70, inv[1], {}, ['from a']])
    const caller = await RawPeer.joined(cluster.url('a'), 'msgpack')
    expect((await caller.call(both))[3]).toEqual(['from b'])

    await cluster.nats.stop()
    try {
      // A call sent just before node a saw NATS go is given up (canceled) when it does; after that, refused at once.
      await eventually(async () => {
        const r = await caller.call(remoteOnly)
        expect([r[0], r[4]]).toEqual([8, 'wamp.error.no_available_callee'])
      })
      for (let i = 0; i < 3; i++) expect((await caller.call(both))[3]).toEqual(['from a'])
    } finally {
      await cluster.nats.restart()
    }
    await eventually(async () => expect((await caller.call(remoteOnly))[3]).toEqual(['from b']), 15_000)
  }, 40_000)
})

/** Binary values as byte lists, whatever form the serializer gave them in. */
function normalizeBinary(v: unknown, ser: SerializerName): unknown {
  if (v instanceof Uint8Array) return [...v]
  if (ser === 'json' && typeof v === 'string' && v.charCodeAt(0) === 0) return [...Buffer.from(v.slice(1), 'base64')]
  if (Array.isArray(v)) return v.map((x) => normalizeBinary(x, ser))
  return v
}
