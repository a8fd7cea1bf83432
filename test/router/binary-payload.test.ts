import { describe, expect, it } from 'vitest'
import { autobahnSession, type SerializerName } from '../support/clients.js'
import { startRouter } from '../support/router.js'

/**
 * Binary payloads across serializers (WAMP spec, "Binary support in JSON"): msgpack and CBOR
 * carry bytes; JSON carries them as a string of "\0" followed by base64. The router converts at
 * the serializer boundary and passes everything else untouched.
 */
const BYTES = Uint8Array.from([1, 2, 3, 255, 0, 128])
const AS_JSON = '\0' + Buffer.from(BYTES).toString('base64')

const bytesOf = (v: unknown): number[] => {
  expect(v).toBeInstanceOf(Uint8Array)
  return [...(v as Uint8Array)]
}

describe('binary payloads between serializers', () => {
  it.each<[SerializerName, SerializerName]>([
    ['msgpack', 'json'],
    ['cbor', 'json'],
  ])('bytes from a %s callee reach a %s caller as "\\0"+base64, and its "\\0"+base64 arrives as bytes', async (calleeSer, callerSer) => {
    const router = await startRouter()
    const seen: unknown[] = []
    const callee = await autobahnSession(router.url, calleeSer)
    await callee.register('com.example.bytes', (args) => {
      seen.push(args?.[0])
      return BYTES
    })
    const caller = await autobahnSession(router.url, callerSer)
    const got = await caller.call('com.example.bytes', [AS_JSON])
    expect(got).toBe(AS_JSON)
    expect(bytesOf(seen[0])).toEqual([...BYTES])
  })

  it.each<[SerializerName, SerializerName]>([
    ['msgpack', 'cbor'],
    ['cbor', 'msgpack'],
  ])('bytes stay bytes from a %s peer to a %s peer, in kwargs too', async (calleeSer, callerSer) => {
    const router = await startRouter()
    const callee = await autobahnSession(router.url, calleeSer)
    await callee.register('com.example.bytes', (args, kwargs) => [bytesOf(args?.[0]), bytesOf((kwargs as { blob: unknown }).blob)])
    const caller = await autobahnSession(router.url, callerSer)
    const got = await caller.call('com.example.bytes', [BYTES], { blob: BYTES })
    expect(got).toEqual([[...BYTES], [...BYTES]])
  })

  it('a JSON string that happens to start with a letter is never touched between JSON peers', async () => {
    const router = await startRouter()
    const callee = await autobahnSession(router.url, 'json')
    await callee.register('com.example.echo', (args) => args?.[0])
    const caller = await autobahnSession(router.url, 'json')
    expect(await caller.call('com.example.echo', [AS_JSON])).toBe(AS_JSON)
    expect(await caller.call('com.example.echo', ['AQID'])).toBe('AQID')
  })
})
