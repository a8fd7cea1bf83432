import { describe, expect, it } from 'vitest'
import { NotFoundError, UsageError } from '../../src/client/errors.js'
import { resolveSession } from '../../src/ops/session-target.js'
import { autobahnSession } from '../support/clients.js'
import { opsMeta, startOpsRouter } from '../support/ops-realm.js'

async function rejection(p: Promise<unknown>): Promise<Error & { exitCode?: number }> {
  try {
    await p
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

describe('resolveSession', () => {
  it('takes a session id, and refuses an unknown one as not found (exit 3)', async () => {
    const router = await startOpsRouter()
    const s = await autobahnSession(router.url, 'json', { authid: 'worker-a' })
    const meta = await opsMeta(router.url)
    const found = await resolveSession(meta, String(s.id), meta.client.sessionId)
    expect(found.session).toBe(s.id)
    expect(found.authid).toBe('worker-a')
    const err = await rejection(resolveSession(meta, '987654321', meta.client.sessionId))
    expect(err).toBeInstanceOf(NotFoundError)
    expect(err.exitCode).toBe(3)
    expect(err.message).toContain('no session 987654321')
  })

  it('takes an authid that names exactly one session', async () => {
    const router = await startOpsRouter()
    const a = await autobahnSession(router.url, 'json', { authid: 'worker-a' })
    await autobahnSession(router.url, 'json', { authid: 'worker-b' })
    const meta = await opsMeta(router.url)
    expect((await resolveSession(meta, 'worker-a', meta.client.sessionId)).session).toBe(a.id)
    const err = await rejection(resolveSession(meta, 'worker-z', meta.client.sessionId))
    expect(err).toBeInstanceOf(NotFoundError)
    expect(err.exitCode).toBe(3)
  })

  it('refuses an authid shared by several sessions as a usage error (exit 2) listing the candidates', async () => {
    const router = await startOpsRouter()
    const a = await autobahnSession(router.url, 'json', { authid: 'worker' })
    const b = await autobahnSession(router.url, 'json', { authid: 'worker' })
    const meta = await opsMeta(router.url)
    const err = await rejection(resolveSession(meta, 'worker', meta.client.sessionId))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.exitCode).toBe(2)
    expect(err.message).toContain(`${Math.min(a.id, b.id)} (anonymous), ${Math.max(a.id, b.id)} (anonymous)`)
  })

  it("does not count the operator's own session as a candidate", async () => {
    const router = await startOpsRouter()
    const meta = await opsMeta(router.url)
    expect(await rejection(resolveSession(meta, 'ops', meta.client.sessionId))).toBeInstanceOf(NotFoundError)
    const other = await opsMeta(router.url)
    expect((await resolveSession(meta, 'ops', meta.client.sessionId)).session).toBe(other.client.sessionId)
  })
})
