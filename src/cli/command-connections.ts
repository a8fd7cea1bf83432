import { WampClient } from '../client/connection.js'
import { MetaClient } from '../client/meta-client.js'
import { resolveConnection, type ConnectionFlags } from './context.js'

/**
 * The sessions one command run opens: where and as whom from the context, overridden field by
 * field by flags and environment; all closed when the run ends. Owned by the run (BaseCommand, or
 * the start-up fast path).
 */
export class CommandConnections {
  private clients: WampClient[] = []

  constructor(private readonly flags: ConnectionFlags) {}

  async open(): Promise<{ client: WampClient; meta: MetaClient }> {
    const ctx = resolveConnection(this.flags)
    const client = await WampClient.connect({ url: ctx.url, realm: ctx.realm, authid: ctx.authid, secret: ctx.secret, ticket: ctx.ticket })
    this.clients.push(client)
    return { client, meta: new MetaClient(client) }
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()))
  }
}
