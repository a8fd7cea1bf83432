import { describe, expect, it } from 'vitest'
import { decodeCallFrames } from '../../src/router/cluster/call-wire.js'
import { Outbox, type FrameItem } from '../../src/router/cluster/outbox.js'
import { msgpackSerializer } from '../../src/router/serializers.js'

/**
 * The per-turn batching of frames to other nodes (cluster/outbox.ts): what it hands to NATS, read
 * back with the decoder the receiving node uses. No NATS here: the publish function records.
 */

interface Sent {
  subject: string
  data: Uint8Array
}

function outbox(maxPayload = 1024 * 1024, refuse: (data: Uint8Array) => boolean = () => false): { box: Outbox; sent: Sent[] } {
  const sent: Sent[] = []
  const box = new Outbox(
    (subject, data) => {
      if (refuse(data)) throw new Error('maximum payload exceeded')
      // A copy: the receiver gets bytes, whatever the outbox does with its buffers afterwards.
      sent.push({ subject, data: Uint8Array.from(data) })
    },
    () => maxPayload,
  )
  return { box, sent }
}

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A WAMP message encoded as the dealer encodes it for a proxy. */
const encoded = (message: unknown[]): Buffer => msgpackSerializer.encode(message) as Buffer

describe('cluster outbox: frames to other nodes, one NATS message per subject per turn', () => {
  it("a turn's frames to one subject go as one message, in order, each decoding to its items and its WAMP message", async () => {
    const { box, sent } = outbox()
    const heads: FrameItem[][] = [
      [0, 'a', 'inc1', 2 ** 53 - 1, true, 7, 'alice', 'user'],
      [1, 'a', 'inc1', 5],
      [2, 12345],
    ]
    const messages = [
      [68, 1, 99, {}, [1, 'x'], { k: Buffer.from([0, 255]) }],
      [69, 1, { mode: 'kill' }],
      [50, 1, { progress: true }, ['p']],
    ]
    heads.forEach((h, i) => box.add('wampctl.node.b.call.cmVhbG0x', h, encoded(messages[i]!)))
    expect(sent).toEqual([]) // nothing before the end of the turn
    await endOfTurn()
    expect(sent.map((s) => s.subject)).toEqual(['wampctl.node.b.call.cmVhbG0x'])
    const frames = decodeCallFrames(sent[0]!.data)
    expect(frames).toEqual(heads.map((h, i) => [...h, msgpackSerializer.decode(encoded(messages[i]!))]))
    expect(box.messages).toBe(1)
    expect(box.frames).toBe(3)
  })

  it('integers, strings and booleans of every msgpack width read back as written', async () => {
    const { box, sent } = outbox()
    const numbers = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -(2 ** 40), 1.5]
    const strings = ['', 'é', 'abcé', 'node-a', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(255), 'z'.repeat(256), 'ü'.repeat(40_000)]
    box.add('s', [...numbers, ...strings, true, false], encoded([0]))
    await endOfTurn()
    expect(decodeCallFrames(sent[0]!.data)).toEqual([[...numbers, ...strings, true, false, [0]]])
  })

  it('frames to different subjects go as one message per subject', async () => {
    const { box, sent } = outbox()
    box.add('to.b', [2, 1], encoded([50, 1, {}]))
    box.add('to.c', [2, 2], encoded([50, 2, {}]))
    box.add('to.b', [2, 3], encoded([50, 3, {}]))
    await endOfTurn()
    const bySubject = Object.fromEntries(sent.map((s) => [s.subject, decodeCallFrames(s.data).map((f) => f[1])]))
    expect(bySubject).toEqual({ 'to.b': [1, 3], 'to.c': [2] })
  })

  it("a batch never grows past NATS's max_payload: the frames are split over several messages, in order", async () => {
    const limit = 2000
    const { box, sent } = outbox(limit)
    for (let i = 0; i < 20; i++) box.add('to.b', [2, i], encoded([50, i, {}, [Buffer.alloc(300, i)]]))
    await endOfTurn()
    expect(sent.length).toBeGreaterThan(1)
    for (const s of sent) expect(s.data.length).toBeLessThanOrEqual(limit)
    const frames = sent.flatMap((s) => decodeCallFrames(s.data))
    expect(frames.map((f) => f[1])).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(frames.every((f, i) => Buffer.from(((f[2] as unknown[])[3] as Uint8Array[])[0]!).equals(Buffer.alloc(300, i)))).toBe(true)
  })

  it('a frame larger than max_payload goes alone; when NATS refuses it, only its own sender is told', async () => {
    const limit = 1000
    const { box, sent } = outbox(limit, (data) => data.length > limit)
    const told: string[] = []
    box.add('to.b', [0, 'small1'], encoded([68, 1, 9, {}]), { undelivered: () => told.push('small1') })
    box.add('to.b', [0, 'big'], encoded([68, 2, 9, {}, [Buffer.alloc(5000)]]), { undelivered: (why) => told.push(`big: ${why}`) })
    box.add('to.b', [0, 'small2'], encoded([68, 3, 9, {}]), { undelivered: () => told.push('small2') })
    await endOfTurn()
    expect(told).toEqual(['big: maximum payload exceeded'])
    expect(sent.flatMap((s) => decodeCallFrames(s.data)).map((f) => f[1])).toEqual(['small1', 'small2'])
  })

  it('discard forgets what was not sent yet; flush sends at once', async () => {
    const { box, sent } = outbox()
    box.add('to.b', [2, 1], encoded([50, 1, {}]))
    box.discard()
    box.add('to.b', [2, 2], encoded([50, 2, {}]))
    box.flush()
    expect(sent.flatMap((s) => decodeCallFrames(s.data)).map((f) => f[1])).toEqual([2])
    await endOfTurn()
    expect(sent.length).toBe(1)
  })
})
