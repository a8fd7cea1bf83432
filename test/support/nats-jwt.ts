import { randomBytes } from 'node:crypto'
import { nkeys } from '@nats-io/transport-node'

type KeyPair = ReturnType<typeof nkeys.createUser>

/**
 * NATS in operator mode for tests, without `nsc`: an operator, a system account and an account
 * with JetStream, each a JWT signed with nkeys as nsc would, preloaded in the server's memory
 * resolver. `creds()` writes a user of that account as a `.creds` file (user JWT + seed), the file
 * `router start --cluster-creds` reads; `foreignCreds()` one of an account the server does not know.
 */
export interface OperatorMode {
  /** nats-server configuration (pass it with `-c`). */
  config: string
  creds(): string
  foreignCreds(): string
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 }

export function operatorMode(): OperatorMode {
  const operator = nkeys.createOperator()
  const system = nkeys.createAccount()
  const account = nkeys.createAccount()
  const op = operator.getPublicKey()
  const operatorJwt = jwt(operator, { iss: op, sub: op, name: 'test-operator', nats: { type: 'operator', version: 2 } })
  const accountJwt = (kp: KeyPair, name: string, jetstream: boolean): string =>
    jwt(operator, {
      iss: op,
      sub: kp.getPublicKey(),
      name,
      nats: {
        limits: jetstream ? { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } : UNLIMITED,
        type: 'account',
        version: 2,
      },
    })
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${system.getPublicKey()}: ${accountJwt(system, 'SYS', false)}`,
    `  ${account.getPublicKey()}: ${accountJwt(account, 'wampctl', true)}`,
    '}',
    '',
  ].join('\n')
  return { config, creds: () => userCreds(account), foreignCreds: () => userCreds(nkeys.createAccount()) }
}

function userCreds(account: KeyPair): string {
  const user = nkeys.createUser()
  const userJwt = jwt(account, {
    iss: account.getPublicKey(),
    sub: user.getPublicKey(),
    name: 'node',
    nats: { pub: {}, sub: {}, subs: -1, data: -1, payload: -1, type: 'user', version: 2 },
  })
  const seed = new TextDecoder().decode(user.getSeed())
  return `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`
}

/** A NATS JWT: header and claims in base64url, signed (ed25519) by `signer`. */
function jwt(signer: KeyPair, claims: Record<string, unknown>): string {
  const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url')
  const header = b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))
  const body = b64(JSON.stringify({ jti: randomBytes(16).toString('hex').toUpperCase(), iat: Math.floor(Date.now() / 1000), ...claims }))
  return `${header}.${body}.${b64(signer.sign(new TextEncoder().encode(`${header}.${body}`)))}`
}
