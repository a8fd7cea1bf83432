import { Flags } from '@oclif/core'
import { ConnectError } from '../src/client/errors.js'
import { BaseCommand } from '../src/cli/base-command.js'
import { MetaEventTail, type MetaEvent } from '../src/ops/meta-events.js'
import { formatEvent } from '../src/ui/event-line.js'
import { aborted, interruptSignal } from '../src/ui/interrupt.js'

export default class Events extends BaseCommand<typeof Events> {
  static override summary = 'Tail meta events: sessions joining and leaving, registrations, subscriptions and callee state changes.'
  static override description =
    "One human line per event, or with --json one JSON object per line: {at, topic, kind, session, authid?, authrole?, registration?, subscription?, uri?, ...}. kind is join, leave, reg-create, register, unregister, reg-delete, sub-create, subscribe, unsubscribe, sub-delete state (wampctl.callee.on_state, routers with the extensions) or rollout (wampctl.rollout.on_update: every transition of a rollout the router runs, with rollout, transition, status, step, percent, reason; live samples left out). Runs until Ctrl-C (exit 0) or --count events; exits 1 if the router closes the session. wampctl's own session is left out."
  static override examples = ['<%= config.bin %> events', '<%= config.bin %> events --json --count 10']
  static override flags = {
    count: Flags.integer({ char: 'n', description: 'stop after this many events', min: 1 }),
  }

  async run(): Promise<undefined> {
    const { client, meta } = await this.connect()
    const lost = new Promise<never>((_, reject) =>
      client.onClose((reason) => reject(new ConnectError(`the router closed the session (${reason})`))),
    )
    lost.catch(() => {})
    const stop = interruptSignal()
    const controller = new AbortController()
    let seen = 0
    const json = this.jsonEnabled()
    const tail = new MetaEventTail(meta, (e: MetaEvent) => {
      if (controller.signal.aborted) return
      process.stdout.write(`${json ? JSON.stringify(e) : formatEvent(e)}\n`)
      seen++
      if (this.flags.count !== undefined && seen >= this.flags.count) controller.abort()
    })
    try {
      await tail.start()
      await Promise.race([aborted(stop.signal), aborted(controller.signal), lost])
    } finally {
      stop.dispose()
      await tail.stop()
    }
    return undefined
  }
}
