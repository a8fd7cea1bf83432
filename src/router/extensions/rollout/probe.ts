import { ErrorUri } from '../../../protocol/error-uris.js'
import { MessageCode } from '../../../protocol/message-codes.js'
import { DIRECTED_CALLEE_OPTION, type ProbeResult } from '../../../protocol/rollout.js'
import { RouterError } from '../../errors.js'
import { EventDelivery, type EventFlow } from '../../event-flow.js'
import { freshId } from '../../ids.js'
import type { Realm } from '../../realm.js'
import { serializerFor } from '../../serializers.js'
import { Session, type SessionTransport } from '../../session.js'

type Answer = { ok: true } | { ok: false; error: string }

/**
 * The router's own caller for rollout probes: a session that never joins the realm (no meta
 * events, invisible to `sessions list`), with an admin role so that it may make directed calls.
 * Its CALLs go through the dealer like anyone's; the RESULT or ERROR the dealer sends it settles
 * the waiting probe.
 */
export class ProbeCaller {
  private readonly session: Session
  private readonly pending = new Map<number, (a: Answer) => void>()
  private nextRequest = 1

  constructor(private readonly realm: Realm) {
    const transport: SessionTransport = {
      serializer: serializerFor('wamp.2.json')!,
      info: { type: 'websocket', protocol: 'internal', peer: 'router' },
      send: (message) => this.answer(message),
      sendEncoded: (_data, message) => this.answer(message),
      // It never subscribes nor publishes: no event ever reaches it, no flow control applies.
      sendEvent: () => EventDelivery.dropped,
      get events(): EventFlow {
        throw new Error('the rollout probe session neither publishes nor subscribes')
      },
      goodbye: () => {},
    }
    this.session = new Session(
      freshId(realm.sessions),
      realm,
      transport,
      { authid: 'wampctl.rollout', authrole: 'wampctl.router', authmethod: 'internal', authprovider: 'router' },
      {},
      { calleeCanceling: false, calleeProgressive: false, calleeRevocation: false, callerProgressive: false },
    )
    this.session.admin = true
    this.session.allowAll = { call: true, register: false, publish: false, subscribe: false }
  }

  /** Call `uri` on the callee `session` only, bounded by `timeoutMs` (the router times the call out). */
  async probe(uri: string, session: number, timeoutMs: number): Promise<ProbeResult> {
    const started = performance.now()
    const request = this.nextRequest++
    const answered = new Promise<Answer>((resolve) => this.pending.set(request, resolve))
    try {
      this.realm.dealer.call(this.session, request, { [DIRECTED_CALLEE_OPTION]: session, timeout: timeoutMs }, uri, [], {})
    } catch (err) {
      this.pending.delete(request)
      const error = err instanceof RouterError ? err.uri : String(err)
      return { uri, session, ok: false, error, elapsed_ms: Math.round(performance.now() - started) }
    }
    const a = await answered
    return { uri, session, ok: a.ok, error: a.ok ? null : a.error, elapsed_ms: Math.round(performance.now() - started) }
  }

  /** The dealer answered one of our calls (RESULT, or ERROR for a CALL). */
  private answer(message: unknown[]): void {
    const code = message[0]
    const request = (code === MessageCode.RESULT ? message[1] : message[2]) as number
    const settle = this.pending.get(request)
    if (settle === undefined) return
    if (code === MessageCode.RESULT) {
      if ((message[2] as { progress?: boolean } | undefined)?.progress === true) return
      this.pending.delete(request)
      settle({ ok: true })
    } else if (code === MessageCode.ERROR) {
      this.pending.delete(request)
      settle({ ok: false, error: typeof message[4] === 'string' ? message[4] : ErrorUri.internal })
    }
  }
}
