import { Flags } from '@oclif/core'
import { WampctlCommand } from '../src/cli/base-command.js'
import { WampClient } from '../src/client/connection.js'
import { MetaClient } from '../src/client/meta-client.js'
import { nextSteps, startDemo } from '../src/ops/demo/demo.js'

export default class Demo extends WampctlCommand<typeof Demo> {
  static override summary = 'Run the embedded router with demo services and a steady load, to see everything move.'
  static override description = `Starts the router (and writes a context so wampctl in another terminal needs no flags), demo services as separate sessions — demo.add (roundrobin, 3 instances), demo.lookup (first, with a standby), demo.quote (random, 2 instances, ~2 % errors) — and a steady load of --rate calls/s.
With --top, opens wampctl top on it in the same process. Ctrl-C or SIGTERM stops everything cleanly.`
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --top', '<%= config.bin %> demo --port 9000 --rate 200']
  static override enableJsonFlag = false
  static override flags = {
    host: Flags.string({ description: 'address to listen on', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'port to listen on (0 picks a free one)', default: 8080, min: 0, max: 65535 }),
    rate: Flags.integer({ description: 'calls per second of the demo load', default: 40, min: 1, max: 10_000 }),
    top: Flags.boolean({ description: 'open wampctl top on the demo router in this terminal' }),
  }

  async run(): Promise<void> {
    const f = this.flags
    const demo = await startDemo({ host: f.host, port: f.port, rate: f.rate })
    let signalled: () => void = () => {}
    const stop = new Promise<void>((resolve) => (signalled = resolve))
    // `on`, not `once`: ink's signal-exit re-raises a signal nobody else listens to any more
    process.on('SIGINT', signalled)
    process.on('SIGTERM', signalled)
    let admin: WampClient | undefined
    try {
      if (!f.top) {
        this.log(nextSteps(demo, f.rate).join('\n'))
        await stop
        return
      }
      admin = await WampClient.connect({ url: demo.url, realm: demo.realm, authid: demo.admin.authid, secret: demo.admin.secret })
      const add = demo.instances.find((i) => i.uri === 'demo.add')
      const banner = `demo router ${demo.url} · ${f.rate} calls/s · elsewhere try: wampctl registrations show demo.add · wampctl drain ${add?.session ?? '<session>'} --uri demo.add`
      const { launchTop } = await import('../src/ui/top/launch.js')
      await launchTop({ meta: new MetaClient(admin), intervalMs: 1000, json: false, banner, stop })
    } finally {
      process.off('SIGINT', signalled)
      process.off('SIGTERM', signalled)
      await admin?.close()
      await demo.stop()
      this.log('wampctl demo: stopped')
    }
  }
}
