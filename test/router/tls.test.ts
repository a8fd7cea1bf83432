import { copyFileSync, writeFileSync } from 'node:fs'
import { connect, type TLSSocket } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { RawPeer } from '../support/raw-peer.js'
import { openSocket, RawSocketPeer } from '../support/rawsocket-peer.js'
import { startRouter } from '../support/router.js'
import { makePki, type TestPki } from '../support/tls.js'

/**
 * TLS on the WebSocket (wss) and RawSocket (rss) listeners, with a CA, server and client
 * certificates made by openssl for each test: the server certificate verifies against the CA,
 * a client CA makes client certificates mandatory, and reloadTls() serves a renewed certificate
 * to new connections while established ones keep going.
 */

function wssOpen(url: string, pki: TestPki, client = false): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['wamp.2.json'], {
      ca: pki.pem(pki.caCert),
      ...(client ? { cert: pki.pem(pki.clientCert), key: pki.pem(pki.clientKey) } : {}),
    })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function helloOver(ws: WebSocket): Promise<unknown[]> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as unknown[]))
    ws.send(JSON.stringify([1, 'realm1', { roles: { caller: {} } }]))
  })
}

/** The serial number of the certificate the server presents to a new connection. */
function servedSerial(port: number, pki: TestPki): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ host: '127.0.0.1', port, ca: pki.pem(pki.caCert) }, () => {
      resolve(s.getPeerCertificate().serialNumber)
      s.destroy()
    })
    s.once('error', reject)
  })
}

describe('TLS', () => {
  it('serves wss:// and rss:// with a certificate that verifies against its CA', async () => {
    const pki = makePki()
    const router = await startRouter({ rawsocket: ['127.0.0.1:0'], tls: { cert: pki.serverCert, key: pki.serverKey } })
    expect(router.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws$/)
    expect(router.rawsocketUrls[0]).toMatch(/^rss:\/\/127\.0\.0\.1:\d+$/)
    const ws = await wssOpen(router.url, pki)
    expect((await helloOver(ws))[0]).toBe(2)
    ws.close()
    const rs = await RawSocketPeer.joined(router.rawsocketUrls[0]!, 'msgpack', {}, 'realm1', { ca: pki.pem(pki.caCert) })
    const got = await rs.call('wamp.session.get', [rs.sessionId])
    expect((got[3] as Array<{ transport: unknown }>)[0]!.transport).toMatchObject({ type: 'rawsocket', tls: true })
  })

  it('refuses a client that does not trust the certificate, and a plain-text client', async () => {
    const pki = makePki()
    const router = await startRouter({ rawsocket: ['127.0.0.1:0'], tls: { cert: pki.serverCert, key: pki.serverKey } })
    await expect(RawSocketPeer.open(router.rawsocketUrls[0]!, 'json')).rejects.toThrow(/self-signed|unable to verify|certificate/i)
    // Plain RawSocket against the TLS port: no handshake reply, the connection fails.
    const plain = await openSocket(router.rawsocketUrls[0]!.replace('rss:', 'rs:'))
    const hello = Buffer.from(JSON.stringify([1, 'realm1', { roles: { caller: {} } }]))
    plain.write(Buffer.concat([Buffer.from([0x7f, 0xf1, 0, 0, 0, 0, 0, hello.length]), hello]))
    const got: Buffer[] = []
    plain.on('data', (c: Buffer) => got.push(c))
    await new Promise((r) => plain.once('close', r))
    expect(Buffer.concat(got).subarray(0, 1)[0]).not.toBe(0x7f)
  })

  it('with a client CA, admits only clients with a certificate it signed (wss and rss)', async () => {
    const pki = makePki()
    const router = await startRouter({ rawsocket: ['127.0.0.1:0'], tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert } })
    await expect(wssOpen(router.url, pki)).rejects.toThrow()
    const ws = await wssOpen(router.url, pki, true)
    expect((await helloOver(ws))[0]).toBe(2)
    ws.close()
    const rsUrl = router.rawsocketUrls[0]!
    await expect(RawSocketPeer.open(rsUrl, 'json', 15, { ca: pki.pem(pki.caCert) })).rejects.toThrow()
    const rs = await RawSocketPeer.joined(rsUrl, 'json', {}, 'realm1', {
      ca: pki.pem(pki.caCert),
      cert: pki.pem(pki.clientCert),
      key: pki.pem(pki.clientKey),
    })
    expect(rs.sessionId).toBeGreaterThan(0)
  })

  it('reloadTls serves a renewed certificate to new connections; established sessions keep going', async () => {
    const pki = makePki()
    const router = await startRouter({ rawsocket: ['127.0.0.1:0'], tls: { cert: pki.serverCert, key: pki.serverKey } })
    const rsPort = Number(new URL(router.rawsocketUrls[0]!.replace('rss:', 'http:')).port)
    const before = await servedSerial(router.port, pki)
    expect(await servedSerial(rsPort, pki)).toBe(before)
    const established = await RawSocketPeer.joined(router.rawsocketUrls[0]!, 'json', {}, 'realm1', { ca: pki.pem(pki.caCert) })

    const renewed = pki.renewServer('renewed')
    copyFileSync(renewed.cert, pki.serverCert)
    copyFileSync(renewed.key, pki.serverKey)
    router.reloadTls()
    const after = await servedSerial(router.port, pki)
    expect(after).not.toBe(before)
    expect(await servedSerial(rsPort, pki)).toBe(after)
    expect((await established.call('wamp.session.count'))[0]).toBe(50)
  })

  it('reloadTls with an unreadable or mismatched pair changes nothing and says why', async () => {
    const pki = makePki()
    const router = await startRouter({ tls: { cert: pki.serverCert, key: pki.serverKey } })
    const before = await servedSerial(router.port, pki)
    const other = pki.renewServer('other')
    copyFileSync(other.key, pki.serverKey) // key of another certificate
    expect(() => router.reloadTls()).toThrow(/cannot use the renewed TLS certificate/)
    writeFileSync(pki.serverCert, 'not a certificate')
    expect(() => router.reloadTls()).toThrow(/renewed TLS certificate/)
    expect(await servedSerial(router.port, pki)).toBe(before)
  })

  it('clients silent in the TLS handshake do not hold up the router close', async () => {
    const pki = makePki()
    const router = await startRouter({ rawsocket: ['127.0.0.1:0'], tls: { cert: pki.serverCert, key: pki.serverKey } })
    const silent = [
      await openSocket(router.rawsocketUrls[0]!.replace('rss:', 'rs:')),
      await openSocket(router.url.replace(/^wss:\/\/([^/]+).*$/, 'rs://$1')),
    ]
    const closedAll = Promise.all(silent.map((s) => new Promise((r) => s.once('close', r))))
    await router.close()
    await closedAll
  })

  it('a router without TLS has nothing to reload', async () => {
    const router = await startRouter()
    expect(() => router.reloadTls()).toThrow(/without TLS/)
    expect((await RawPeer.joined(router.url)).sessionId).toBeGreaterThan(0)
  })
})
