import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RawPeer } from '../support/raw-peer.js'
import { handshakeReply, openSocket, prefix, RawSocketPeer } from '../support/rawsocket-peer.js'
import { startRouter } from '../support/router.js'
import { SERIALIZERS } from '../support/clients.js'

/**
 * WAMP over RawSocket (spec, "RawSocket Transport"), byte by byte with a peer that frames on its
 * own: the handshake and its error replies, framing, PING/PONG, the length limits both ways, and
 * sessions on TCP and Unix sockets meeting WebSocket sessions in the same realm.
 */

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function rawsocketRouter(options: Parameters<typeof startRouter>[0] = {}) {
  const router = await startRouter({ rawsocket: ['127.0.0.1:0'], ...options })
  return { router, url: router.rawsocketUrls[0]! }
}

describe('RawSocket handshake', () => {
  it('echoes the serializer and announces 16 MiB (LENGTH 15) with the default limit', async () => {
    const { url } = await rawsocketRouter()
    expect(url).toMatch(/^rs:\/\/127\.0\.0\.1:\d+$/)
    for (const ser of SERIALIZERS) {
      const peer = await RawSocketPeer.open(url, ser, 0)
      expect([...peer.reply]).toEqual([0x7f, 0xf0 | { json: 1, msgpack: 2, cbor: 3 }[ser], 0, 0])
    }
  })

  it('announces the largest power of two not above maxMessageSize', async () => {
    const { url } = await rawsocketRouter({ maxMessageSize: 100_000 })
    const peer = await RawSocketPeer.open(url, 'json')
    expect(peer.reply[1]! >> 4).toBe(7) // 2^16 = 65536 ≤ 100000 < 2^17
    expect(peer.routerMaxLength).toBe(65536)
  })

  it('answers an unsupported serializer with error 1 and closes', async () => {
    const { url } = await rawsocketRouter()
    for (const ser of [0, 4, 5, 15]) {
      const { reply, closed } = await handshakeReply(await openSocket(url), [0x7f, 0xf0 | ser, 0, 0])
      expect([...reply]).toEqual([0x7f, 0x10, 0, 0])
      expect(closed).toBe(true)
    }
  })

  it('answers reserved octets that are not zero with error 3 and closes', async () => {
    const { url } = await rawsocketRouter()
    const { reply } = await handshakeReply(await openSocket(url), [0x7f, 0xf1, 0, 1])
    expect([...reply]).toEqual([0x7f, 0x30, 0, 0])
  })

  it('fails a connection that is not RawSocket (first octet not 0x7F) without a reply', async () => {
    const { url } = await rawsocketRouter()
    const { reply, closed } = await handshakeReply(await openSocket(url), Buffer.from('GET / HTTP/1.1\r\n\r\n'))
    expect(reply.length).toBe(0)
    expect(closed).toBe(true)
  })

  it('takes a handshake split over several writes, and a HELLO in the same write as its end', async () => {
    const { url } = await rawsocketRouter()
    const socket = await openSocket(url)
    const hello = Buffer.from(JSON.stringify([1, 'realm1', { roles: { caller: {} } }]))
    const got: Buffer[] = []
    const welcome = new Promise<Buffer>((resolve) =>
      socket.on('data', (c: Buffer) => {
        got.push(c)
        const all = Buffer.concat(got)
        if (all.length >= 8 && all.length >= 8 + all.readUInt32BE(4)) resolve(all)
      }),
    )
    socket.write(Buffer.from([0x7f]))
    socket.write(Buffer.from([0xf1, 0]))
    socket.write(Buffer.concat([Buffer.from([0]), prefix(0, hello.length), hello]))
    const all = await welcome
    expect([...all.subarray(0, 4)]).toEqual([0x7f, 0xf1, 0, 0])
    expect(JSON.parse(all.subarray(8).toString())[0]).toBe(2)
  })
})

describe('RawSocket sessions', () => {
  it.each(SERIALIZERS)('a %s RawSocket caller reaches a WebSocket callee and back', async (ser) => {
    const { router, url } = await rawsocketRouter()
    const callee = await RawPeer.joined(router.url, 'json')
    const reg = await callee.register('com.example.add')
    expect(reg[0]).toBe(65)
    callee.serve((inv) => [70, inv[1], {}, [(inv[4] as number[])[0]! + (inv[4] as number[])[1]!]])
    const caller = await RawSocketPeer.joined(url, ser)
    const result = await caller.call('com.example.add', [2, 3])
    expect(result[0]).toBe(50)
    expect(result[3]).toEqual([5])
  })

  it('reports the transport in the session meta API', async () => {
    const { router, url } = await rawsocketRouter()
    const peer = await RawSocketPeer.joined(url, 'msgpack')
    const admin = await RawPeer.joined(router.url, 'json')
    const got = await admin.call('wamp.session.get', [peer.sessionId])
    expect((got[3] as Array<{ transport: unknown }>)[0]!.transport).toEqual({
      type: 'rawsocket',
      protocol: 'wamp.2.msgpack',
      peer: expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/),
    })
  })

  it('serves a Unix domain socket, and replaces a stale socket file left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wampctl-rs-'))
    dirs.push(dir)
    const path = join(dir, 'router.sock')
    const first = await startRouter({ rawsocket: [`unix:${path}`] })
    expect(first.rawsocketUrls).toEqual([`unix:${path}`])
    const peer = await RawSocketPeer.joined(`unix:${path}`, 'cbor')
    expect(peer.sessionId).toBeGreaterThan(0)
    peer.destroy()
    await first.close()
    // The file is gone after a clean close; a second router on the same path still starts.
    const second = await startRouter({ rawsocket: [`unix:${path}`] })
    const again = await RawSocketPeer.joined(second.rawsocketUrls[0]!, 'json')
    expect(again.sessionId).toBeGreaterThan(0)
  })

  it('refuses to take over a Unix socket another router still serves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wampctl-rs-'))
    dirs.push(dir)
    const path = join(dir, 'router.sock')
    await startRouter({ rawsocket: [`unix:${path}`] })
    await expect(startRouter({ rawsocket: [`unix:${path}`] })).rejects.toThrow(/cannot listen for RawSocket on unix:.*router\.sock/)
  })

  it('closes RawSocket sessions on router close with GOODBYE system_shutdown', async () => {
    const { router, url } = await rawsocketRouter()
    const peer = await RawSocketPeer.joined(url, 'json')
    const closing = router.close()
    const goodbye = await peer.next((m) => m[0] === 6, 'GOODBYE')
    expect(goodbye[2]).toBe('wamp.close.system_shutdown')
    await peer.closed
    await closing
  })
})

describe('RawSocket framing', () => {
  it('answers a PING with a PONG echoing its payload exactly', async () => {
    const { url } = await rawsocketRouter()
    const peer = await RawSocketPeer.open(url, 'json')
    const payload = Buffer.from([0, 1, 2, 250, 255])
    peer.sendFrame(1, payload)
    const pong = await peer.nextFrame((f) => f.type === 2, 'PONG')
    expect([...pong.payload]).toEqual([...payload])
    // The connection still carries a session afterwards.
    expect((await peer.hello())[0]).toBe(2)
  })

  it('fails the connection on a frame longer than the maximum it announced, from the prefix alone', async () => {
    const { url } = await rawsocketRouter({ maxMessageSize: 1024 })
    const peer = await RawSocketPeer.joined(url, 'json')
    expect(peer.routerMaxLength).toBe(1024)
    peer.socket.write(prefix(0, 1025)) // no payload follows: the prefix is enough to refuse it
    await peer.closed
  })

  it('fails the connection on reserved bits or a reserved frame type', async () => {
    const { url } = await rawsocketRouter()
    for (const head of [0x10, 0x03, 0x07]) {
      const peer = await RawSocketPeer.joined(url, 'json')
      peer.socket.write(Buffer.from([head, 0, 0, 0]))
      await peer.closed
    }
  })

  it('aborts an undecodable message with protocol_violation, as over WebSocket', async () => {
    const { url } = await rawsocketRouter()
    const peer = await RawSocketPeer.open(url, 'json')
    peer.sendFrame(0, Buffer.from('{not json'))
    const abort = await peer.next((m) => m[0] === 3, 'ABORT')
    expect(abort[2]).toBe('wamp.error.protocol_violation')
    await peer.closed
  })

  it('never sends a message over the peer’s announced maximum: a RESULT becomes ERROR payload_size_exceeded', async () => {
    const { router, url } = await rawsocketRouter()
    const callee = await RawPeer.joined(router.url, 'json')
    await callee.register('com.example.big')
    callee.serve((inv) => [70, inv[1], {}, ['x'.repeat(Number((inv[4] as number[])[0]))]])
    const caller = await RawSocketPeer.open(url, 'json', 1) // LENGTH 1: at most 1024 octets
    expect((await caller.hello())[0]).toBe(2)
    const small = await caller.call('com.example.big', [100])
    expect(small[0]).toBe(50)
    const big = await caller.call('com.example.big', [1100])
    expect(big[0]).toBe(8)
    expect(big[4]).toBe('wamp.error.payload_size_exceeded')
    expect(caller.frames.every((f) => f.payload.length <= 1024)).toBe(true)
  })

  it('fails an INVOCATION too large for its callee back to the caller', async () => {
    const { router, url } = await rawsocketRouter()
    const callee = await RawSocketPeer.open(url, 'json', 1)
    expect((await callee.hello())[0]).toBe(2)
    const r = callee.nextRequest()
    callee.send([64, r, {}, 'com.example.sink'])
    await callee.next((m) => m[0] === 65)
    const caller = await RawPeer.joined(router.url, 'json')
    const reply = await caller.call('com.example.sink', ['y'.repeat(1100)])
    expect(reply[0]).toBe(8)
    expect(reply[4]).toBe('wamp.error.payload_size_exceeded')
    expect(callee.frames.every((f) => f.payload.length <= 1024)).toBe(true)
  })

  it('liveness: the router PINGs RawSocket peers; one that never answers is dropped, the others stay', async () => {
    const { url } = await rawsocketRouter({ liveness: { pingIntervalMs: 50, pongTimeoutMs: 200 } })
    const healthy = await RawSocketPeer.joined(url, 'json')
    const frozen = await RawSocketPeer.joined(url, 'json')
    frozen.answerPings = false
    expect((await frozen.nextFrame((f) => f.type === 1, 'PING')).type).toBe(1)
    await frozen.closed
    expect((await healthy.nextFrame((f) => f.type === 1, 'PING')).type).toBe(1)
    expect((await healthy.call('wamp.session.count'))[3]).toEqual([1])
  })

  it('handshake timeout: a client that never sends its 4 octets, or never HELLO, is dropped', async () => {
    const { url } = await rawsocketRouter({ handshakeTimeoutMs: 100 })
    const silent = await openSocket(url)
    const quiet = await RawSocketPeer.open(url, 'json')
    await Promise.all([new Promise((r) => silent.once('close', r)), quiet.closed])
  })

  it('fails the connection of a client whose maximum is too small even for its WELCOME', async () => {
    const { url } = await rawsocketRouter()
    const peer = await RawSocketPeer.open(url, 'json', 0) // 512 octets: the WELCOME with its roles is larger
    peer.send([1, 'realm1', { roles: { caller: {} } }])
    await peer.closed
    expect(peer.frames).toEqual([])
  })

  it('reassembles frames split anywhere, and takes several frames in one write', async () => {
    const { url } = await rawsocketRouter()
    const peer = await RawSocketPeer.open(url, 'json')
    const frame = (m: unknown[]): Buffer => {
      const payload = Buffer.from(JSON.stringify(m))
      return Buffer.concat([prefix(0, payload.length), payload])
    }
    const hello = frame([1, 'realm1', { roles: { caller: {} } }])
    for (const byte of hello) peer.socket.write(Buffer.from([byte])) // one octet per write
    expect((await peer.next((m) => m[0] === 2, 'WELCOME'))[0]).toBe(2)
    const calls = [
      frame([48, 1, {}, 'wamp.session.count']),
      frame([48, 2, {}, 'wamp.session.list']),
      frame([48, 3, {}, 'wamp.session.count']),
    ]
    const all = Buffer.concat(calls)
    peer.socket.write(all.subarray(0, 6)) // the first prefix and two octets of its payload
    peer.socket.write(all.subarray(6))
    for (const r of [1, 2, 3]) expect((await peer.next((m) => m[0] === 50 && m[1] === r, `RESULT ${r}`))[0]).toBe(50)
  })
})
