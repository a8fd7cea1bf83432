import { Packr } from 'msgpackr'
import { bystanders, Peer } from './driver.js'
import { Prng, type FuzzSerializer } from './frames.js'

/**
 * The hostile frames, each sent before HELLO and again by an established session, while
 * a bystander calls in a loop: the bystander's worst wait during each case is what one such frame
 * costs everyone else. Plus the costliest frames the limits still let through (16 MiB, 999,999
 * values; 50,000 dict entries with unique keys), which are decoded.
 */

export interface HostileCaseResult {
  name: string
  when: 'before HELLO' | 'established'
  /** How the router answered: ABORT/ERROR URI, close code, or 'RESULT'. */
  answer: string
  worstBystanderMs: number
  /** The router process's longest event-loop delay during the case (perf_hooks), ms. */
  routerStallMs: number
}

const packr = new Packr({ useRecords: false, variableMapSize: true, mapsAsObjects: true })

function msgpackMapOfKeys(bytes: number): Buffer {
  // One map32 of unique 6-character keys with nil values, 8 bytes an entry: the 9.6 M keys in 64 MiB.
  const n = Math.floor((bytes - 5) / 8)
  const b = Buffer.alloc(5 + n * 8)
  b[0] = 0xdf
  b.writeUInt32BE(n, 1)
  for (let i = 0, o = 5; i < n; i++) {
    b[o++] = 0xa6
    b.write(i.toString(36).padStart(6, '0'), o, 'latin1')
    o += 6
    b[o++] = 0xc0
  }
  return b
}

function msgpackNils(bytes: number): Buffer {
  const b = Buffer.alloc(bytes, 0xc0)
  b[0] = 0xdd
  b.writeUInt32BE(bytes - 5, 1)
  return b
}

function randomJson(bytes: number, r: Prng): string {
  const parts: string[] = ['[48,1,{},"com.example.alive",[']
  let size = parts[0]!.length
  while (size < bytes) {
    const p = r.pick(['{"', '[', ']', '}', '"k', `${r.int(1e9)}`, ',', ':', 'null', 'true', '"x"'])
    parts.push(p)
    size += p.length
  }
  return parts.join('')
}

/** Inside the limits: a CALL of 999,999 nils, and one with 50,000 unique dict keys. */
function withinLimits(ser: FuzzSerializer, kind: 'values' | 'keys'): Buffer | string {
  const args = kind === 'values' ? [new Array(999_990).fill(null)] : []
  const kwargs: Record<string, number> = {}
  if (kind === 'keys') for (let i = 0; i < 49_990; i++) kwargs[`k${Math.random().toString(36).slice(2, 10)}${i}`] = i
  const m = [48, 1, {}, 'com.example.void', args, kwargs]
  return ser === 'json' ? JSON.stringify(m) : packr.pack(m)
}

export async function measureHostileCases(url: string, routerStall: () => Promise<number>): Promise<HostileCaseResult[]> {
  const r = new Prng(64)
  const MiB = 1024 * 1024
  const cases: Array<{ name: string; ser: FuzzSerializer; frame: () => Buffer | string; phases: Array<'before HELLO' | 'established'> }> = [
    {
      name: '64 MiB msgpack map, 8.4 M unique keys',
      ser: 'msgpack',
      frame: () => msgpackMapOfKeys(64 * MiB - 1024),
      phases: ['before HELLO', 'established'],
    },
    { name: '60 MB of "["', ser: 'json', frame: () => '['.repeat(60_000_000), phases: ['before HELLO', 'established'] },
    {
      name: '64 MiB msgpack array of nils',
      ser: 'msgpack',
      frame: () => msgpackNils(64 * MiB - 1024),
      phases: ['before HELLO', 'established'],
    },
    { name: '10 MB random JSON', ser: 'json', frame: () => randomJson(10_000_000, r), phases: ['before HELLO', 'established'] },
    {
      name: '16 MiB msgpack map (at maxMessageSize)',
      ser: 'msgpack',
      frame: () => msgpackMapOfKeys(16 * MiB - 64),
      phases: ['established'],
    },
    {
      name: 'CALL of 999,990 nulls (within limits), JSON',
      ser: 'json',
      frame: () => withinLimits('json', 'values'),
      phases: ['established'],
    },
    {
      name: 'CALL of 999,990 nils (within limits), msgpack',
      ser: 'msgpack',
      frame: () => withinLimits('msgpack', 'values'),
      phases: ['established'],
    },
    {
      name: 'CALL with 49,990 unique keys (within limits), JSON',
      ser: 'json',
      frame: () => withinLimits('json', 'keys'),
      phases: ['established'],
    },
    {
      name: 'CALL with 49,990 unique keys (within limits), msgpack',
      ser: 'msgpack',
      frame: () => withinLimits('msgpack', 'keys'),
      phases: ['established'],
    },
  ]
  const { callee, caller } = await bystanders(url)
  const results: HostileCaseResult[] = []
  for (const c of cases) {
    const frame = c.frame()
    for (const when of c.phases) {
      const p = new Peer(url, c.ser)
      await p.opened
      if (when === 'established' && !(await p.join())) throw new Error('the hostile peer could not join')
      await routerStall() // reset
      let worst = 0
      let stop = false
      let request = 0
      const loop = (async () => {
        while (!stop) {
          const id = ++request
          const t0 = performance.now()
          caller.send([48, id, {}, 'com.example.alive', [id]])
          const reply = await caller.wait((m) => (m[0] === 50 && m[1] === id) || (m[0] === 8 && m[2] === id), 60_000)
          worst = Math.max(worst, performance.now() - t0)
          if (reply?.[0] !== 50) throw new Error(`the bystander's call failed during '${c.name}': ${JSON.stringify(reply)}`)
        }
      })()
      const answered = p.wait((m) => m[0] === 3 || m[0] === 8 || m[0] === 50, 120_000)
      p.sendFrame(frame)
      const closeCode = new Promise<string>((resolve) => p.ws.once('close', (code) => resolve(`close ${code}`)))
      const answer = await Promise.race([
        answered
          .then((m) => (m === undefined ? undefined : m[0] === 50 ? 'RESULT' : String(m[m[0] === 3 ? 2 : 4])))
          .then((a) => a ?? closeCode),
        closeCode,
      ])
      // Keep the bystander calling a little longer: a cost paid after the answer counts too.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5))
      stop = true
      await loop
      p.terminate()
      results.push({ name: c.name, when, answer, worstBystanderMs: worst, routerStallMs: await routerStall() })
    }
  }
  caller.terminate()
  callee.terminate()
  return results
}
