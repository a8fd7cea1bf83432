import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { runCli, spawnCli, tempConfigDir } from '../support/cli.js'
import { RawSocketPeer } from '../support/rawsocket-peer.js'
import { makePki, type TestPki } from '../support/tls.js'

/** `wampctl router start` with RawSocket listeners (--rawsocket, config file) and TLS (--tls-*, SIGHUP reload). */

function listening(stdout: string): string[] {
  return [...stdout.matchAll(/listening on (\S+)/g)].map((m) => m[1]!)
}

function servedSerial(port: number, pki: TestPki): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: pki.pem(pki.caCert) }, () => {
      resolve(s.getPeerCertificate().serialNumber)
      s.destroy()
    })
    s.once('error', reject)
  })
}

describe('wampctl router start: transports', () => {
  it('--rawsocket (repeatable, TCP and unix:) prints every listener and serves sessions on each', async () => {
    const dir = tempConfigDir()
    const sock = join(dir, 'router.sock')
    const proc = spawnCli(['router', 'start', '--port', '0', '--no-context', '--rawsocket', '127.0.0.1:0', '--rawsocket', `unix:${sock}`], {
      env: { WAMPCTL_CONFIG_DIR: dir },
      timeoutMs: 60_000,
    })
    await proc.waitFor((out) => listening(out).length === 3)
    const [ws, rs, unix] = listening(proc.stdout)
    expect(ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/)
    expect(rs).toMatch(/^rs:\/\/127\.0\.0\.1:\d+$/)
    expect(unix).toBe(`unix:${sock}`)
    expect(proc.stdout).toContain(`listening on ${rs} (RawSocket)`)
    for (const url of [rs!, unix!]) expect((await RawSocketPeer.joined(url, 'msgpack')).sessionId).toBeGreaterThan(0)
    const watcher = await RawSocketPeer.joined(rs!, 'json')
    proc.signal('SIGTERM')
    expect((await watcher.next((m) => m[0] === 6, 'GOODBYE'))[2]).toBe('wamp.close.system_shutdown')
    expect((await proc.done).code).toBe(0)
  })

  it('takes rawsocket and tls from the config file; SIGHUP serves a renewed certificate, a bad one is refused in one line', async () => {
    const dir = tempConfigDir()
    const pki = makePki()
    const config = join(dir, 'router.json')
    writeFileSync(config, JSON.stringify({ rawsocket: ['127.0.0.1:0'], tls: { cert: pki.serverCert, key: pki.serverKey } }))
    const proc = spawnCli(['router', 'start', '--port', '0', '--no-context', '--config', config], {
      env: { WAMPCTL_CONFIG_DIR: dir },
      timeoutMs: 60_000,
    })
    await proc.waitFor((out) => listening(out).length === 2)
    const [wss, rss] = listening(proc.stdout)
    expect(wss).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws$/)
    expect(rss).toMatch(/^rss:\/\/127\.0\.0\.1:\d+$/)
    const wssPort = Number(new URL(wss!).port)
    const rssPort = Number(new URL(rss!.replace('rss:', 'https:')).port)
    const before = await servedSerial(wssPort, pki)

    const renewed = pki.renewServer('renewed')
    copyFileSync(renewed.cert, pki.serverCert)
    copyFileSync(renewed.key, pki.serverKey)
    proc.signal('SIGHUP')
    await proc.waitFor((_out, err) => err.includes('TLS certificate reloaded'))
    const after = await servedSerial(wssPort, pki)
    expect(after).not.toBe(before)
    expect(await servedSerial(rssPort, pki)).toBe(after)

    writeFileSync(pki.serverKey, 'not a key')
    proc.signal('SIGHUP')
    await proc.waitFor((_out, err) => err.includes('TLS certificate not reloaded'))
    const failure = proc.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'TLS certificate not reloaded')
    expect(failure).toEqual([
      expect.objectContaining({ level: 'error', reason: expect.stringMatching(/^cannot use the renewed TLS certificate: /) }),
    ])
    expect(await servedSerial(wssPort, pki)).toBe(after) // still serving the last good one
    proc.signal('SIGTERM')
    expect((await proc.done).code).toBe(0)
  })

  it('a bad listen address, a half TLS pair or a bad config field fails in one line', async () => {
    const dir = tempConfigDir()
    const env = { WAMPCTL_CONFIG_DIR: dir }
    const bad = await runCli(['router', 'start', '--port', '0', '--no-context', '--rawsocket', 'nowhere'], { env })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe("wampctl: listen address 'nowhere': expected HOST:PORT (port 0 picks a free one) or unix:/PATH\n")

    const missing = await runCli(
      ['router', 'start', '--port', '0', '--no-context', '--tls-cert', join(dir, 'none.pem'), '--tls-key', join(dir, 'none.key')],
      {
        env,
      },
    )
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^wampctl: cannot read the TLS certificate .*none\.pem: ENOENT.*\n$/)

    const config = join(dir, 'router.json')
    writeFileSync(config, JSON.stringify({ rawsocket: ['127.0.0.1:0', 'nowhere'] }))
    const refused = await runCli(['router', 'start', '--port', '0', '--no-context', '--config', config], { env })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      "wampctl: invalid config: rawsocket[1] is not a listen address: 'nowhere': expected HOST:PORT (port 0 picks a free one) or unix:/PATH\n",
    )
    writeFileSync(config, JSON.stringify({ tls: { cert: 'cert.pem' } }))
    const half = await runCli(['router', 'start', '--port', '0', '--no-context', '--config', config], { env })
    expect(half.stderr).toBe('wampctl: invalid config: tls.key must be the path of a PEM file\n')
  })
})
