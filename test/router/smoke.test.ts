import { describe, expect, it } from 'vitest'
import { autobahnSession, SERIALIZERS, wampySession } from '../support/clients.js'
import { startRouter } from '../support/router.js'

describe.each(SERIALIZERS)('shared roundrobin over %s', (ser) => {
  it('alternates between autobahn and wampy callees in registration order', async () => {
    const router = await startRouter()
    const a = await autobahnSession(router.url, ser)
    const b = await wampySession(router.url, ser)
    await a.register('com.example.echo', () => 'a', { invoke: 'roundrobin' })
    await b.register('com.example.echo', () => ({ argsList: ['b'] }), { invoke: 'roundrobin' })
    const caller = await autobahnSession(router.url, ser)
    const got: string[] = []
    for (let i = 0; i < 4; i++) got.push((await caller.call('com.example.echo')) as string)
    expect(got).toEqual(['a', 'b', 'a', 'b'])
  })
})
