import { describe, expect, it } from 'vitest'
import { StatusLine } from '../../src/ui/status-line.js'

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let out = ''
  const stream = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream
  return { stream, text: () => out }
}

describe('StatusLine', () => {
  it('on a terminal rewrites one line in place and ends it once', () => {
    const s = sink()
    const line = new StatusLine(s.stream, true)
    line.update('2 left')
    line.update('2 left')
    line.update('1 left')
    line.done()
    expect(s.text()).toBe('\r\x1b[K2 left\r\x1b[K1 left\n')
  })

  it('elsewhere writes one plain line per change, without escapes', () => {
    const s = sink()
    const line = new StatusLine(s.stream, false)
    for (const t of ['2 left', '2 left', '1 left', '0 left']) line.update(t)
    line.done()
    expect(s.text()).toBe('2 left\n1 left\n0 left\n')
  })

  it('writes nothing at the end when nothing was shown', () => {
    const s = sink()
    new StatusLine(s.stream, true).done()
    expect(s.text()).toBe('')
  })
})
