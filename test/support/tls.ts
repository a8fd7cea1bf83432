import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

/**
 * A throwaway PKI made with the real `openssl`: a CA, a server certificate for 127.0.0.1 and
 * localhost, and a client certificate, all signed by the CA, in a temp dir removed after the test.
 */
export interface TestPki {
  dir: string
  caCert: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  /** Sign a fresh server certificate (new serial and key) into new files: a "renewed" certificate. */
  renewServer(name: string): { cert: string; key: string }
  pem(path: string): Buffer
}

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 })
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'wampctl-pki-'))
  dirs.push(dir)
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=wampctl test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ],
    dir,
  )
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
  const sign = (name: string, cn: string, ext: string): { cert: string; key: string } => {
    openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
      ],
      dir,
    )
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        `${name}.pem`,
      ],
      dir,
    )
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }
  }
  const server = sign('server', 'localhost', 'server.ext')
  const client = sign('client', 'wampctl test client', 'client.ext')
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    renewServer: (name) => sign(name, 'localhost', 'server.ext'),
    pem: (path) => readFileSync(path),
  }
}
