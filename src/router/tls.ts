import { readFileSync } from 'node:fs'
import type { SecureContextOptions } from 'node:tls'
import { RouterConfigError } from './errors.js'

/** TLS for the WebSocket and TCP RawSocket listeners: PEM files, read at start and on reload. */
export interface TlsOptions {
  /** Certificate chain (PEM). */
  cert: string
  /** Private key (PEM). */
  key: string
  /** CA bundle (PEM): when set, clients must present a certificate it signed. */
  ca?: string
}

/** Server options for node:tls / node:https (secure context + client-certificate policy). */
export function tlsServerOptions(tls: TlsOptions): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return { ...readTlsFiles(tls), requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined }
}

/** The PEM files as a secure context's options; a renewed certificate is read the same way. */
export function readTlsFiles(tls: TlsOptions): SecureContextOptions {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path)
    } catch (err) {
      throw new RouterConfigError(`cannot read the TLS ${what} ${path}: ${(err as Error).message}`)
    }
  }
  const options: SecureContextOptions = { cert: read('certificate', tls.cert), key: read('key', tls.key) }
  if (tls.ca !== undefined) options.ca = read('CA bundle', tls.ca)
  return options
}
