import type { Msg, Subscription } from '@nats-io/transport-node'
import type { ClusterLink } from './link.js'
import { pack, unpack } from './wire.js'

/** What a node answers to a request: a value, or an error with a WAMP error URI to pass on. */
export type NodeAnswer = { ok: true; value: unknown } | { ok: false; error: string; message: string }

export type RequestHandler = (body: unknown, from: string) => unknown

export class NodeRequestError extends Error {
  constructor(
    readonly node: string,
    /** A WAMP error URI (the other node's, or wamp.error.unavailable when it did not answer). */
    readonly uri: string,
    message: string,
  ) {
    super(message)
  }
}

/** The error URI when a node does not answer (gone, or NATS away). */
export const NODE_UNREACHABLE_URI = 'wamp.error.unavailable'

interface Envelope {
  kind: string
  realm: string
  from: string
  body: unknown
}

/**
 * Requests from one node to another (request-reply on `<name>.node.<node>.req`): kill a session,
 * drain a callee, a node's part of a snapshot. Each part registers the kinds it serves, per realm;
 * a handler returns a value (or a promise of one), or throws an error carrying `uri`.
 */
export class NodeRequests {
  private readonly handlers = new Map<string, RequestHandler>()
  private readonly sub: Subscription

  constructor(private readonly link: ClusterLink) {
    this.sub = link.nc.subscribe(link.subjects.requests(link.node), { callback: (err, msg) => void (err === null && this.serve(msg)) })
  }

  /** Serve `kind` requests for `realm` on this node. */
  handle(realm: string, kind: string, handler: RequestHandler): void {
    this.handlers.set(`${realm}\u0000${kind}`, handler)
  }

  /** Ask `node`; rejects with NodeRequestError (the node's error, or unavailable after `timeoutMs` or while NATS is away). */
  async ask<T>(node: string, realm: string, kind: string, body: unknown, timeoutMs = 5000): Promise<T> {
    if (!this.link.connected) throw new NodeRequestError(node, NODE_UNREACHABLE_URI, `node ${node} cannot be reached: NATS is away`)
    const envelope: Envelope = { kind, realm, from: this.link.node, body }
    let reply: Msg
    try {
      reply = await this.link.nc.request(this.link.subjects.requests(node), pack(envelope), { timeout: timeoutMs })
    } catch (err) {
      throw new NodeRequestError(node, NODE_UNREACHABLE_URI, `node ${node} did not answer: ${(err as Error).message}`)
    }
    const answer = unpack<NodeAnswer>(reply.data)
    if (!answer.ok) throw new NodeRequestError(node, answer.error, answer.message)
    return answer.value as T
  }

  close(): void {
    this.sub.unsubscribe()
  }

  private async serve(msg: Msg): Promise<void> {
    let answer: NodeAnswer
    try {
      const e = unpack<Envelope>(msg.data)
      const handler = this.handlers.get(`${e.realm}\u0000${e.kind}`)
      if (handler === undefined)
        throw Object.assign(new Error(`node ${this.link.node} serves no '${e.kind}' requests in realm '${e.realm}'`), {
          uri: 'wamp.error.no_such_procedure',
        })
      answer = { ok: true, value: await handler(e.body, e.from) }
    } catch (err) {
      const uri = (err as { uri?: unknown }).uri
      answer = { ok: false, error: typeof uri === 'string' ? uri : 'wamp.error.runtime_error', message: (err as Error).message }
    }
    if (msg.reply !== undefined) msg.respond(pack(answer))
  }
}
