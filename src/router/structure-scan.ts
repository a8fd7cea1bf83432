/**
 * A linear pre-scan of a frame's bytes, before any decoder sees them. The decoders (JSON.parse,
 * msgpackr, cbor-x) have no nesting limit and build whatever a frame describes: a 16 MiB msgpack
 * map of unique keys takes seconds to become an object, a few thousand `[` overflow the stack,
 * and msgpackr's and cbor-x's reference extensions build cyclic structures. The scan walks the
 * structure without building it (no recursion, no allocation per element) and refuses a frame
 * that is nested too deep, holds too many values or map entries, declares more elements than it
 * has bytes, or uses an extension the router does not accept. It also reads the frame's leading
 * integers (message type, request ids) so a refused frame can still be answered with an ERROR.
 */

export interface StructureLimits {
  /** Deepest nesting of lists and dicts, the message list itself counting as 1. */
  maxDepth: number
  /** Values in the frame: list items plus dict entries, at any depth. */
  maxElements: number
  /** Dict entries in the frame, at any depth (building dicts costs far more per entry than lists). */
  maxMapEntries: number
}

/** Why a frame was refused: over a limit (answerable with an ERROR) or malformed (a protocol violation). */
export interface ScanProblem {
  kind: 'limit' | 'malformed'
  message: string
}

/** Up to three leading integers of the top-level list: [type, request] or, for ERROR, [type, requestType, request]. */
export type FrameHead = number[]

const HEAD_LEN = 3
/** The head of a walk that does not read one (a full scan: it reads the head only for a frame it refuses). */
const NO_HEAD: FrameHead = Object.freeze([]) as unknown as FrameHead

/**
 * The state of one walk over a frame. One Walk serves every scan (scans never nest) and allocates
 * nothing per frame: the stacks of open containers are indexed by depth and never shrink, so once
 * they have grown to the deepest frame seen (at most maxDepth) a scan only writes numbers.
 */
class Walk {
  elements = 0
  mapEntries = 0
  /** The leading integers, read only by a head walk (headOnly); NO_HEAD otherwise. */
  head: FrameHead = NO_HEAD
  /** Open containers; the stacks below hold one entry per open container, the innermost at depth - 1. */
  depth = 0
  /** Per open container: items still expected (Infinity: a CBOR indefinite-length one, ended by a break). */
  readonly remaining: number[] = []
  /** Per open container: 1 for an indefinite-length map (its items alternate key, value), else 0. */
  readonly indefiniteMap: number[] = []
  /** Per open container: items seen so far (used by indefinite-length maps to tell keys from values). */
  readonly seen: number[] = []
  /** Index of the current item of the top-level list. */
  topIndex = 0
  problem: ScanProblem | undefined

  limits: StructureLimits = UNLIMITED
  /** Read the head and stop there (or at a problem before it). */
  headOnly = false

  /** Ready for a new frame. */
  reset(limits: StructureLimits, headOnly: boolean): this {
    this.limits = limits
    this.headOnly = headOnly
    this.elements = 0
    this.mapEntries = 0
    this.head = headOnly ? [] : NO_HEAD
    this.depth = 0
    this.topIndex = 0
    this.problem = undefined
    return this
  }

  limit(message: string): false {
    this.problem = { kind: 'limit', message }
    return false
  }

  malformed(message: string): false {
    this.problem = { kind: 'malformed', message }
    return false
  }

  private overCounts(): boolean {
    if (this.elements + this.mapEntries > this.limits.maxElements)
      return !this.limit(`more than ${this.limits.maxElements} values in one message`)
    if (this.mapEntries > this.limits.maxMapEntries)
      return !this.limit(`more than ${this.limits.maxMapEntries} dict entries in one message`)
    return false
  }

  /**
   * A container of `items` values opens (a dict of n entries: 2n items, n entries). `available`:
   * bytes left in the frame. An empty container is complete at once.
   */
  open(items: number, entries: number, available: number, indefiniteMap = false): boolean {
    const d = this.depth
    if (d + 1 > this.limits.maxDepth) return this.limit(`nested deeper than ${this.limits.maxDepth} levels`)
    if (items !== Infinity) {
      // Every item takes at least one byte: a count beyond the bytes left is a lie, refused before anyone allocates for it.
      if (items > available) return this.malformed(`a container declares ${items} items with ${available} bytes left`)
      this.elements += items - entries
      this.mapEntries += entries
      if (this.overCounts()) return false
      if (items === 0) {
        this.valueDone()
        return true
      }
    }
    this.remaining[d] = items
    this.indefiniteMap[d] = indefiniteMap ? 1 : 0
    this.seen[d] = 0
    this.depth = d + 1
    return true
  }

  /** An item starts inside an indefinite-length container: count it as it comes. */
  countIndefiniteItem(): boolean {
    const top = this.depth - 1
    if (top < 0 || this.remaining[top] !== Infinity) return true
    if (this.indefiniteMap[top] === 1 && this.seen[top]! % 2 === 0) this.mapEntries++
    else this.elements++
    return !this.overCounts()
  }

  /** The innermost (indefinite-length) container ends. */
  close(): void {
    this.depth--
    this.valueDone()
  }

  /** A value is complete at the current level (a scalar, or a container that just closed). */
  valueDone(): void {
    let d = this.depth
    while (d > 0) {
      const top = d - 1
      if (top === 0) this.topIndex++
      const r = this.remaining[top]!
      if (r === Infinity) {
        this.seen[top]!++
        break
      }
      if (r > 1) {
        this.remaining[top] = r - 1
        break
      }
      d--
    }
    this.depth = d
  }

  /** A scalar at the current level: a head walk records it while the top-level list starts with a run of integers. */
  scalar(value: number | undefined): void {
    if (this.headOnly && this.depth === 1 && this.topIndex < HEAD_LEN && this.head.length === this.topIndex && value !== undefined)
      this.head.push(value)
    this.valueDone()
  }

  get headDone(): boolean {
    return this.depth === 1 && (this.topIndex >= HEAD_LEN || this.head.length < this.topIndex)
  }
}

export interface ScanResult {
  head: FrameHead
  problem: ScanProblem | undefined
}

const UNLIMITED: StructureLimits = { maxDepth: Infinity, maxElements: Infinity, maxMapEntries: Infinity }
const walk = new Walk()
const CLEAN: ScanResult = Object.freeze({ head: [], problem: undefined })

/** Scan a frame of `protocol` (a WAMP WebSocket subprotocol) against `limits`. */
export function scanFrame(protocol: string, data: Buffer, limits: StructureLimits): ScanResult {
  if (
    protocol === JSON_PROTOCOL ? data.length <= jsonUnscannedSize(limits) : protocol === MSGPACK_PROTOCOL && msgpackUnscanned(data, limits)
  )
    return CLEAN
  run(protocol, data, walk.reset(limits, false))
  const problem = walk.problem
  if (problem === undefined) return CLEAN
  // The head only matters for answering a refused frame: read it now, by a second walk under the
  // same limits that stops at the same problem (or at the end of the head, whichever comes first).
  return { head: headWithin(protocol, data, limits), problem }
}

/** Only the leading integers of a frame (for answering an oversize frame without decoding it). */
export function readHead(protocol: string, data: Buffer): FrameHead {
  return headWithin(protocol, data, UNLIMITED)
}

function headWithin(protocol: string, data: Buffer, limits: StructureLimits): FrameHead {
  if (protocol === JSON_PROTOCOL) return jsonHead(data)
  run(protocol, data, walk.reset(limits, true))
  return walk.head
}

function run(protocol: string, data: Buffer, w: Walk): void {
  if (protocol === JSON_PROTOCOL) scanJson(data, w)
  else if (protocol === MSGPACK_PROTOCOL) scanMsgpack(data, w)
  else if (protocol === 'wamp.2.cbor') scanCbor(data, w)
}

// ── JSON ─────────────────────────────────────────────────────────────────────────────────────

const JSON_PROTOCOL = 'wamp.2.json'

/**
 * Up to this many bytes a JSON frame is not scanned: the scan could not refuse it, and JSON.parse
 * of it is cheap. Why: text that JSON.parse accepts is nested at most half its length deep (each
 * level takes an opening and a closing bracket), and every value or dict entry the scan counts is
 * a byte of its own outside strings ('[', '{', ',' or ':'), so a frame of at most
 * min(2 × maxDepth + 1, maxElements, maxMapEntries) bytes is within every limit; V8's JSON.parse
 * is iterative (no recursion however deep the text) and does O(length) work. Text JSON.parse
 * refuses is a protocol violation (the connection's decode failure) as before; the only frames
 * answered differently are such broken ones that the scan would have refused first, as too deep.
 * With the default limits: 129 bytes, which most CALL, YIELD and PUBLISH frames of small
 * arguments are.
 */
function jsonUnscannedSize(limits: StructureLimits): number {
  return Math.min(2 * limits.maxDepth + 1, limits.maxElements, limits.maxMapEntries)
}

const LEADING_INTS = /^\s*\[\s*(\d{1,16})\s*(?:,\s*(\d{1,16})\s*(?:,\s*(\d{1,16})\s*[,\]])?)?/

/**
 * JSON: brackets and braces outside strings give the depth; commas and colons count values and
 * entries. Syntax is JSON.parse's business afterwards: the scan only bounds what it will build.
 */
function jsonHead(data: Buffer): FrameHead {
  const head: FrameHead = []
  const m = LEADING_INTS.exec(data.subarray(0, 64).toString('latin1'))
  if (m !== null) for (const g of m.slice(1)) if (g !== undefined) head.push(Number(g))
  return head
}

function scanJson(data: Buffer, w: Walk): void {
  const { maxDepth, maxElements, maxMapEntries } = w.limits
  let depth = 0
  let values = 0
  let entries = 0
  const n = data.length
  for (let i = 0; i < n; i++) {
    const c = data[i]!
    if (c === 0x22) {
      // A string: skip to its closing quote, over escapes.
      for (i++; i < n; i++) {
        const d = data[i]!
        if (d === 0x5c) i++
        else if (d === 0x22) break
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return void w.limit(`nested deeper than ${maxDepth} levels`)
      values++
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    } else if (c === 0x2c) {
      if (++values + entries > maxElements) return void w.limit(`more than ${maxElements} values in one message`)
    } else if (c === 0x3a) {
      if (++entries > maxMapEntries) return void w.limit(`more than ${maxMapEntries} dict entries in one message`)
    }
  }
}

// ── msgpack ──────────────────────────────────────────────────────────────────────────────────

/**
 * msgpack extension types the router accepts: the spec's timestamp (-1), and msgpackr's
 * `undefined` (fixext1 type 0: wampy sends it for options left undefined). msgpackr's other
 * extensions (records, references) build shared and cyclic structures.
 */
const MSGPACK_TIMESTAMP = 0xff
const MSGPACKR_UNDEFINED = 0x00

const MSGPACK_PROTOCOL = 'wamp.2.msgpack'

/**
 * A short msgpack frame with no extension byte anywhere is not scanned: the scan could not refuse
 * it. Why: every value takes at least one byte of its own, so a frame of n bytes is nested at most
 * n deep and holds fewer than n values and dict entries: n ≤ min(maxDepth, maxElements,
 * maxMapEntries) is within every limit. What remains is what the scan refuses whatever the size:
 * extension types (fixext 0xd4–0xd8, ext 0xc7–0xc9: msgpackr's references and records build
 * cyclic structures from a few bytes) and the unused byte 0xc1 (msgpackr makes an object of it).
 * A frame holding any of those bytes, even inside a string or an integer, is scanned as before.
 * A count that promises more than the frame holds is refused by msgpackr itself ("Unexpected end
 * of MessagePack data": a protocol violation, as the scan's "malformed"). With the default limits:
 * 64 bytes, which a CALL or YIELD of a few small arguments is.
 */
function msgpackUnscanned(b: Buffer, limits: StructureLimits): boolean {
  const n = b.length
  if (n > Math.min(limits.maxDepth, limits.maxElements, limits.maxMapEntries)) return false
  for (let i = 0; i < n; i++) if (MSGPACK_SCAN_BYTES[b[i]!] === 1) return false
  return true
}

/** The bytes that send a short msgpack frame to the scan: 0xc1, 0xc7–0xc9, 0xd4–0xd8 (one table load per byte). */
const MSGPACK_SCAN_BYTES = new Uint8Array(256)
for (const t of [0xc1, 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8]) MSGPACK_SCAN_BYTES[t] = 1

function scanMsgpack(b: Buffer, w: Walk): void {
  const n = b.length
  // Integers beyond a byte are read only by a head walk: a full scan needs their lengths, not their values.
  const head = w.headOnly
  let i = 0
  if (n === 0) return
  while (i < n) {
    if (head && w.headDone) return
    const t = b[i]!
    const left = n - i - 1
    let skip = 0 // payload bytes after the type byte (and its length field)
    let int: number | undefined
    if (t <= 0x7f) int = t
    else if (t >= 0xe0) int = t - 0x100
    else if (t <= 0x8f) {
      i++
      if (!w.open(2 * (t & 0x0f), t & 0x0f, left)) return
      continue
    } else if (t <= 0x9f) {
      i++
      if (!w.open(t & 0x0f, 0, left)) return
      continue
    } else if (t <= 0xbf) skip = t & 0x1f
    else {
      switch (t) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break
        case 0xc4:
        case 0xd9:
          if (left < 1) return void w.malformed('truncated length')
          skip = 1 + b[i + 1]!
          break
        case 0xc5:
        case 0xda:
          if (left < 2) return void w.malformed('truncated length')
          skip = 2 + b.readUInt16BE(i + 1)
          break
        case 0xc6:
        case 0xdb:
          if (left < 4) return void w.malformed('truncated length')
          skip = 4 + b.readUInt32BE(i + 1)
          break
        case 0xc7:
        case 0xc8:
        case 0xc9: {
          const lenBytes = t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4
          if (left < lenBytes + 1) return void w.malformed('truncated extension')
          const len = lenBytes === 1 ? b[i + 1]! : lenBytes === 2 ? b.readUInt16BE(i + 1) : b.readUInt32BE(i + 1)
          if (b[i + 1 + lenBytes] !== MSGPACK_TIMESTAMP)
            return void w.malformed(`msgpack extension type ${b[i + 1 + lenBytes]} is not accepted`)
          skip = lenBytes + 1 + len
          break
        }
        case 0xca:
          skip = 4
          break
        case 0xcb:
          // msgpackr writes integers beyond 32 bits as float64: an id may come this way.
          if (head && left >= 8 && w.depth === 1) int = integral(b.readDoubleBE(i + 1))
          skip = 8
          break
        case 0xcc:
          if (head && left >= 1) int = b[i + 1]
          skip = 1
          break
        case 0xcd:
          if (head && left >= 2) int = b.readUInt16BE(i + 1)
          skip = 2
          break
        case 0xce:
          if (head && left >= 4) int = b.readUInt32BE(i + 1)
          skip = 4
          break
        case 0xcf:
          if (head && left >= 8) int = Number(b.readBigUInt64BE(i + 1))
          skip = 8
          break
        case 0xd0:
          if (head && left >= 1) int = b.readInt8(i + 1)
          skip = 1
          break
        case 0xd1:
          if (head && left >= 2) int = b.readInt16BE(i + 1)
          skip = 2
          break
        case 0xd2:
          if (head && left >= 4) int = b.readInt32BE(i + 1)
          skip = 4
          break
        case 0xd3:
          if (head && left >= 8) int = Number(b.readBigInt64BE(i + 1))
          skip = 8
          break
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          if (left < 1) return void w.malformed('truncated extension')
          if (b[i + 1] !== MSGPACK_TIMESTAMP && !(t === 0xd4 && b[i + 1] === MSGPACKR_UNDEFINED)) {
            return void w.malformed(`msgpack extension type ${b[i + 1]} is not accepted`)
          }
          skip = 1 + (1 << (t - 0xd4))
          break
        case 0xdc:
        case 0xdd:
        case 0xde:
        case 0xdf: {
          const wide = t === 0xdd || t === 0xdf
          if (left < (wide ? 4 : 2)) return void w.malformed('truncated length')
          const count = wide ? b.readUInt32BE(i + 1) : b.readUInt16BE(i + 1)
          const isMap = t >= 0xde
          i += 1 + (wide ? 4 : 2)
          if (!w.open(isMap ? 2 * count : count, isMap ? count : 0, n - i)) return
          continue
        }
        default:
          return void w.malformed(`byte 0x${t.toString(16)} is not msgpack`)
      }
    }
    if (skip > left) return void w.malformed('truncated value')
    i += 1 + skip
    w.scalar(int)
  }
}

// ── CBOR ─────────────────────────────────────────────────────────────────────────────────────

/** CBOR tags the router accepts: date/time (0, 1), bignums (2, 3), decimal fractions (4, 5), byte-string typed array (64). Others build shared or cyclic structures (28, 29) or records. */
const CBOR_TAGS: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 64])

function scanCbor(b: Buffer, w: Walk): void {
  const n = b.length
  let i = 0
  while (i < n) {
    if (w.headOnly && w.headDone) return
    const t = b[i]!
    const major = t >> 5
    const ai = t & 0x1f
    let arg = ai
    let argBytes = 0
    if (ai === 24) argBytes = 1
    else if (ai === 25) argBytes = 2
    else if (ai === 26) argBytes = 4
    else if (ai === 27) argBytes = 8
    else if (ai >= 28 && ai <= 30) return void w.malformed(`byte 0x${t.toString(16)} is not CBOR`)
    if (n - i - 1 < argBytes) return void w.malformed('truncated value')
    if (argBytes === 1) arg = b[i + 1]!
    else if (argBytes === 2) arg = b.readUInt16BE(i + 1)
    else if (argBytes === 4) arg = b.readUInt32BE(i + 1)
    else if (argBytes === 8) arg = Number(b.readBigUInt64BE(i + 1))
    i += 1 + argBytes
    const indefinite = ai === 31
    if (major === 7 && indefinite) {
      // A break ends the innermost indefinite-length container.
      if (w.depth === 0 || w.remaining[w.depth - 1] !== Infinity) return void w.malformed('unexpected CBOR break')
      w.close()
      continue
    }
    if (!w.countIndefiniteItem()) return
    switch (major) {
      case 0:
      case 1:
        w.scalar(major === 0 ? arg : -1 - arg)
        break
      case 2:
      case 3:
        if (indefinite) {
          // Chunks until a break: counted like the items of a list.
          if (!w.open(Infinity, 0, n - i)) return
          break
        }
        if (arg > n - i) return void w.malformed('truncated string')
        i += arg
        w.scalar(undefined)
        break
      case 4:
      case 5: {
        const isMap = major === 5
        if (indefinite) {
          if (!w.open(Infinity, 0, n - i, isMap)) return
          break
        }
        if (!w.open(isMap ? 2 * arg : arg, isMap ? arg : 0, n - i)) return
        break
      }
      case 6:
        if (!CBOR_TAGS.has(arg)) return void w.malformed(`CBOR tag ${arg} is not accepted`)
        // A tag wraps the one item that follows: a container of one, so nested tags count as depth.
        if (!w.open(1, 0, n - i)) return
        break
      default:
        // Simple values and floats; an integral float64 in the head may be an id (cbor-x writes large integers so).
        w.scalar(ai === 27 && w.depth === 1 ? integral(b.readDoubleBE(i - 8)) : undefined)
    }
  }
}

function integral(x: number): number | undefined {
  return Number.isInteger(x) ? x : undefined
}
