import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RealmConfig } from '../../src/router/config.js'
import { autobahnSession, wampySession } from '../support/clients.js'
import { autobahnSignChallenge, cryptosignKey } from '../support/cryptosign.js'
import { runPythonFixture } from '../support/python.js'
import { startRouter } from '../support/router.js'
import { makePki } from '../support/tls.js'

/**
 * RawSocket, TLS and cryptosign with clients nobody here wrote: Debian's python3-autobahn
 * (asyncio RawSocket over TCP and TLS, cryptosign signed by python3-nacl) and npm autobahn
 * (its Node RawSocket transport, JSON only; wss with a client certificate; cryptosign).
 */

interface PythonOutput {
  serializer: string
  result: number
  authid: string
  authrole: string
  authmethod: string
  transport: { type: string; protocol: string; peer: string; tls?: boolean }
}

const key = cryptosignKey()
const cryptosignRealm: RealmConfig = {
  name: 'realm1',
  auth: { anonymous: false, cryptosign: { 'py-service': { role: 'anonymous', pubkeys: [key.pubkey] } } },
}

describe('python3-autobahn over RawSocket', () => {
  it.each(['json', 'msgpack', 'cbor'])('TCP, %s: a Python callee and caller meet through the router', async (ser) => {
    const router = await startRouter({ rawsocket: ['127.0.0.1:0'] })
    const out = await runPythonFixture<PythonOutput>('python_rawsocket.py', [router.rawsocketUrls[0]!, ser])
    expect(out.result).toBe(42)
    expect(out.authmethod).toBe('anonymous')
    expect(out.transport).toEqual({ type: 'rawsocket', protocol: `wamp.2.${ser}`, peer: expect.stringMatching(/^tcp:127\.0\.0\.1:\d+$/) })
  })

  it('TLS (rss://) with the CA the Python client verifies against, and cryptosign signed by python3-nacl', async () => {
    const pki = makePki()
    const router = await startRouter({
      realms: [cryptosignRealm],
      rawsocket: ['127.0.0.1:0'],
      tls: { cert: pki.serverCert, key: pki.serverKey },
    })
    const url = router.rawsocketUrls[0]!
    expect(url).toMatch(/^rss:/)
    const out = await runPythonFixture<PythonOutput>('python_rawsocket.py', [
      url,
      'msgpack',
      '--ca',
      pki.caCert,
      '--cryptosign',
      'py-service',
      key.seed,
    ])
    expect(out).toMatchObject({ result: 42, authid: 'py-service', authrole: 'anonymous', authmethod: 'cryptosign' })
    expect(out.transport).toMatchObject({ type: 'rawsocket', protocol: 'wamp.2.msgpack', tls: true })
  })

  it('cryptosign with a key the principal does not hold is refused', async () => {
    const router = await startRouter({ realms: [cryptosignRealm], rawsocket: ['127.0.0.1:0'] })
    const other = cryptosignKey()
    await expect(
      runPythonFixture<PythonOutput>('python_rawsocket.py', [router.rawsocketUrls[0]!, 'json', '--cryptosign', 'py-service', other.seed]),
    ).rejects.toThrow(/wamp\.error\.authentication_denied/)
  })
})

describe('npm autobahn over RawSocket and wss', () => {
  it('its Node RawSocket transport (TCP and Unix socket) calls a wampy callee on WebSocket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wampctl-ab-'))
    try {
      const router = await startRouter({ rawsocket: ['127.0.0.1:0', `unix:${join(dir, 'r.sock')}`] })
      const callee = await wampySession(router.url, 'msgpack')
      await callee.register('com.example.mul', ({ argsList }) => {
        const [a, b] = argsList as number[]
        return { argsList: [a! * b!] }
      })
      for (const url of router.rawsocketUrls) {
        const s = await autobahnSession(url)
        expect(await s.call('com.example.mul', [6, 7])).toBe(42)
        expect(await s.call('wamp.session.get', [s.id])).toMatchObject({ transport: { type: 'rawsocket', protocol: 'wamp.2.json' } })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('cryptosign over RawSocket, and over wss with a client certificate the router requires', async () => {
    const pki = makePki()
    const realm: RealmConfig = {
      name: 'realm1',
      auth: { anonymous: false, cryptosign: { 'js-service': { role: 'anonymous', pubkeys: [key.pubkey] } } },
    }
    const plain = await startRouter({ realms: [realm], rawsocket: ['127.0.0.1:0'] })
    const options = {
      authid: 'js-service',
      authmethods: ['cryptosign'],
      authextra: { pubkey: key.pubkey },
      onchallenge: (_s: unknown, _m: string, extra: unknown) => autobahnSignChallenge(key, extra),
    }
    const overRs = await autobahnSession(plain.rawsocketUrls[0]!, 'json', options)
    expect(await overRs.call('wamp.session.get', [overRs.id])).toMatchObject({ authid: 'js-service', authmethod: 'cryptosign' })

    const secure = await startRouter({ realms: [realm], tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert } })
    const tlsConfiguration = { ca: pki.pem(pki.caCert), cert: pki.pem(pki.clientCert), key: pki.pem(pki.clientKey) }
    const overWss = await autobahnSession(secure.url, 'msgpack', { ...options, tlsConfiguration })
    expect(await overWss.call('wamp.session.get', [overWss.id])).toMatchObject({
      authid: 'js-service',
      transport: { type: 'websocket', protocol: 'wamp.2.msgpack', tls: true },
    })
  })
})
