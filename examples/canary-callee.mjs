#!/usr/bin/env node
// A stand-in for the new version of a service, for the rollout walkthrough (docs/rollout.md):
// registers URI (invoke roundrobin, so it joins the existing instances) and adds its first two
// arguments after a few milliseconds, like `wampctl demo`'s demo.add. --fail-rate makes it
// answer that fraction of calls with an error, to watch a rollout roll back.
//
// It registers DARK (REGISTER option `_weight: 0`, a wampctl router extension): a new callee of a
// roundrobin registration would otherwise take a full share of the calls the moment it registers,
// before any rollout gate has judged it, so a broken build would fail real calls until the first
// check. At weight 0 it serves nothing until `wampctl rollout canary` gives it its first step.
// `--weight 1` joins with a full share (an ordinary new instance, e.g. for `rollout replace`).
// `--health ok|fail` also registers URI.health, a health procedure for `rollout canary --probe`
// (the router calls it on this session only): `fail` answers every probe with an error.
//
//   node examples/canary-callee.mjs demo.add --authid demo-add-v2 [--fail-rate 0.3] [--weight 0] [--health ok|fail] [--url ws://127.0.0.1:8080/ws] [--realm realm1]
import autobahn from 'autobahn'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.WAMPCTL_URL ?? 'ws://127.0.0.1:8080/ws' },
    realm: { type: 'string', default: process.env.WAMPCTL_REALM ?? 'realm1' },
    authid: { type: 'string', default: 'canary' },
    'fail-rate': { type: 'string', default: '0' },
    'delay-ms': { type: 'string', default: '10' },
    weight: { type: 'string', default: '0' },
    health: { type: 'string' },
  },
})
const uri = positionals[0]
if (uri === undefined) {
  process.stderr.write(
    'usage: node examples/canary-callee.mjs URI [--authid ID] [--fail-rate 0..1] [--weight 0] [--health ok|fail] [--delay-ms N] [--url URL] [--realm REALM]\n',
  )
  process.exit(2)
}
const failRate = Number(values['fail-rate'])
const delayMs = Number(values['delay-ms'])
const weight = Number(values.weight)

const connection = new autobahn.Connection({ url: values.url, realm: values.realm, authid: values.authid, max_retries: 0 })
connection.onopen = async (session) => {
  session._on_user_error = () => {} // errors we throw on purpose need no stack trace
  await session.register(
    uri,
    async (args) => {
      await new Promise((r) => setTimeout(r, delayMs * (0.5 + Math.random())))
      if (Math.random() < failRate) throw new autobahn.Error('com.example.error.canary_broken', ['this build is broken'])
      return Number(args?.[0] ?? 0) + Number(args?.[1] ?? 0)
    },
    { invoke: 'roundrobin', _weight: weight },
  )
  if (values.health !== undefined) {
    await session.register(
      `${uri}.health`,
      () => {
        if (values.health === 'fail') throw new autobahn.Error('com.example.error.unhealthy', ['this build is unhealthy'])
        return 'ok'
      },
      { invoke: 'roundrobin' },
    )
  }
  process.stdout.write(`registered ${uri} as session ${session.id} (authid ${values.authid}, weight ${weight}, fail rate ${failRate})\n`)
}
connection.onclose = (reason, details) => {
  process.stdout.write(`closed: ${reason}${details?.reason ? ` (${details.reason})` : ''}\n`)
  process.exit(reason === 'closed' ? 0 : 1)
}
const stop = () => connection.close()
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
connection.open()
