import type { WebSocket } from 'ws'
import type { RouterOptions } from './config.js'
import { FrameStructureError, PayloadSizeExceededError, ProtocolViolationError, type RouterError } from './errors.js'
import { readHead, scanFrame, type FrameHead, type StructureLimits } from './structure-scan.js'

/**
 * What one frame may cost, checked before any decoder runs. A peer that has not finished its
 * handshake gets a small size limit (HELLO and AUTHENTICATE are small); an established session
 * gets `maxMessageSize`. Every frame is pre-scanned for nesting depth and element counts
 * (structure-scan.ts; JSON frames too short to break a limit excepted), so the decode it is
 * allowed costs a bounded fraction of a second.
 */
export interface FrameLimits {
  /** Largest frame before the session is established (HELLO, AUTHENTICATE), bytes. */
  handshakeMessageSize: number
  /** Largest frame of an established session, bytes (RouterOptions.maxMessageSize). */
  messageSize: number
  structure: StructureLimits
}

export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
export const DEFAULT_HANDSHAKE_MESSAGE_SIZE = 64 * 1024
export const DEFAULT_MAX_NESTING_DEPTH = 64
export const DEFAULT_MAX_MESSAGE_ELEMENTS = 1_000_000
export const DEFAULT_MAX_MESSAGE_MAP_ENTRIES = 50_000

/** The limits from the router's options, defaults filled in. */
export function frameLimitsFrom(options: RouterOptions): FrameLimits {
  const messageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE
  return {
    messageSize,
    handshakeMessageSize: Math.min(options.maxHandshakeMessageSize ?? DEFAULT_HANDSHAKE_MESSAGE_SIZE, messageSize),
    structure: {
      maxDepth: options.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH,
      maxElements: options.maxMessageElements ?? DEFAULT_MAX_MESSAGE_ELEMENTS,
      maxMapEntries: options.maxMessageMapEntries ?? DEFAULT_MAX_MESSAGE_MAP_ENTRIES,
    },
  }
}

/** A frame refused before decoding, with what is known of it (its leading integers) to answer it. */
export interface RefusedFrame {
  error: RouterError
  head: FrameHead
  /** Malformed rather than over a limit: the session is aborted whatever the frame was. */
  fatal: boolean
}

/**
 * Size first (no byte of an oversize frame is walked beyond its head), then structure. Returns
 * undefined when the frame may be decoded.
 */
export function checkFrame(data: Buffer, protocol: string, sizeLimit: number, structure: StructureLimits): RefusedFrame | undefined {
  if (data.length > sizeLimit) {
    return { error: new PayloadSizeExceededError(data.length, sizeLimit), head: readHead(protocol, data), fatal: false }
  }
  const scan = scanFrame(protocol, data, structure)
  if (scan.problem === undefined) return undefined
  if (scan.problem.kind === 'malformed') {
    return {
      error: new ProtocolViolationError(`could not decode a ${protocol} frame: ${scan.problem.message}`),
      head: scan.head,
      fatal: true,
    }
  }
  return { error: new FrameStructureError(scan.problem.message), head: scan.head, fatal: false }
}

/**
 * The transport's own cap on one frame: a frame over it is not even buffered (ws closes with
 * 1009 as soon as the frame header announces its length). Up to 4× the message limit a frame is
 * still read so that it can be answered with an ERROR; beyond, reading it is the cost.
 */
export function transportCap(messageLimit: number): number {
  return messageLimit * 4 + 1024
}

/**
 * Set the per-connection frame cap of a `ws` WebSocket. ws takes one `maxPayload` per server;
 * its receiver reads `_maxPayload` on every frame header, so a connection's cap can tighten
 * before HELLO and widen after WELCOME. Pinned to ws 8 (package.json); if the field is ever
 * gone, the server-wide cap and the size check in checkFrame still hold.
 */
export function setWebSocketFrameCap(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver
  if (receiver !== undefined && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes
}
