import { describe, expect, it } from 'vitest'
import { configFingerprint } from '../../src/router/config-fingerprint.js'
import { normalizeRealm, type RealmConfig } from '../../src/router/config.js'

/** The fingerprint cluster nodes compare (docs/cluster.md, "Same configuration, one admin credential"). */
describe('configFingerprint', () => {
  const realm1: RealmConfig = {
    name: 'realm1',
    roles: { backend: { permissions: [{ uri: 'com.example.', match: 'prefix', allow: ['call', 'register'] }] }, admin: { admin: true } },
    auth: { wampcra: { alice: { secret: 's3cret', role: 'backend' } } },
  }
  const staging: RealmConfig = { name: 'staging' }
  const of = (...realms: RealmConfig[]): string => configFingerprint(realms.map((r) => normalizeRealm(r)))

  it('is 12 hex digits, the same whatever the order of realms and of keys in the file', () => {
    const reordered: RealmConfig = {
      auth: { wampcra: { alice: { role: 'backend', secret: 's3cret' } } },
      roles: { admin: { admin: true }, backend: { permissions: [{ allow: ['call', 'register'], match: 'prefix', uri: 'com.example.' }] } },
      name: 'realm1',
    }
    expect(of(realm1, staging)).toMatch(/^[0-9a-f]{12}$/)
    expect(of(staging, reordered)).toBe(of(realm1, staging))
  })

  it('differs when a realm, a role, a permission or a secret differs', () => {
    const base = of(realm1, staging)
    const variants: RealmConfig[][] = [
      [realm1],
      [realm1, { name: 'prod' }],
      [{ ...realm1, roles: { ...realm1.roles, guest: {} } }, staging],
      [
        { ...realm1, roles: { ...realm1.roles, backend: { permissions: [{ uri: 'com.example.', match: 'prefix', allow: ['call'] }] } } },
        staging,
      ],
      [{ ...realm1, auth: { wampcra: { alice: { secret: 'other', role: 'backend' } } } }, staging],
    ]
    const prints = variants.map((v) => of(...v))
    for (const p of prints) expect(p).not.toBe(base)
    expect(new Set(prints).size).toBe(prints.length)
  })
})
