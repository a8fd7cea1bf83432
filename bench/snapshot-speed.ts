/**
 * `node dist/bench/snapshot-speed.js [--regs N] [--held N] [--runs N]`: how long the router takes
 * to build the extensions' snapshot (wampctl.registration.snapshot, what `registrations list`
 * asks for) of --regs registrations (default 10,000), each with one callee (all on one session)
 * that has taken a few calls, and --held of them (default 1,000) with a call in flight; in
 * process, without the wire. Median and best of --runs (default 9) builds, ms, and the
 * same for the whole call over the wire (JSON) from a wampctl client. Run it before and after a
 * change to src/router/extensions/callee-snapshot.ts, back to back.
 */
import { WampClient } from '../src/client/connection.js'
import { ExtensionUri } from '../src/protocol/extensions.js'
import { registrationsSnapshot } from '../src/router/extensions/callee-snapshot.js'
import { Router } from '../src/router/router.js'

function parseArgs(argv: string[]): { regs: number; held: number; runs: number } {
  const out = { regs: 10_000, held: 1000, runs: 9 }
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, Number(argv[i + 1])]
    const key = flag.slice(2)
    if ((key === 'regs' || key === 'held' || key === 'runs') && Number.isInteger(value) && value >= (key === 'held' ? 0 : 1))
      out[key] = value
    else {
      process.stderr.write(`snapshot-speed: unknown argument '${flag}' (usage: --regs N, --held N, --runs N)\n`)
      process.exit(2)
    }
  }
  out.held = Math.min(out.held, out.regs)
  return out
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function main(): Promise<void> {
  const { regs, held, runs } = parseArgs(process.argv.slice(2))
  let release = (): void => {}
  const holding = new Promise<number>((resolve) => (release = () => resolve(0)))
  const router = await new Router({ realms: [{ name: 'realm1', roles: { anonymous: { admin: true } } }] }).listen({ port: 0 })
  const callee = await WampClient.connect({ url: router.url, realm: 'realm1' })
  const caller = await WampClient.connect({ url: router.url, realm: 'realm1' })
  try {
    for (let i = 0; i < regs; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, regs - i) }, (_, j) =>
          callee.register(`bench.snapshot.p${String(i + j).padStart(6, '0')}`, (args) => (args[0] === 'hold' ? holding : 0)),
        ),
      )
    }
    // some calls, so latencies, last-call times and counters are there to report
    for (let i = 0; i < Math.min(regs, 500); i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => caller.call(`bench.snapshot.p${String(i + j).padStart(6, '0')}`)))
    }
    const dealer = router.realm('realm1')!.dealer
    const inflight = (): number => [...dealer.byId.values()].reduce((n, r) => n + r.callees.reduce((m, c) => m + c.inflight, 0), 0)
    const heldCalls = Array.from({ length: held }, (_, i) =>
      caller.call(`bench.snapshot.p${String(regs - 1 - i).padStart(6, '0')}`, ['hold']),
    )
    for (const deadline = Date.now() + 30_000; inflight() < held;) {
      if (Date.now() > deadline) throw new Error(`only ${inflight()} of ${held} calls in flight after 30 s`)
      await new Promise((r) => setTimeout(r, 10))
    }
    const build: number[] = []
    const wire: number[] = []
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now()
      const snap = registrationsSnapshot(dealer.byId.values())
      build.push(performance.now() - t0)
      if (snap.length !== regs) throw new Error(`expected ${regs} registrations, got ${snap.length}`)
      const t1 = performance.now()
      await caller.call(ExtensionUri.snapshot)
      wire.push(performance.now() - t1)
    }
    const f = (xs: number[]): string => `median ${median(xs).toFixed(1)} ms, best ${Math.min(...xs).toFixed(1)} ms`
    process.stdout.write(`snapshot of ${regs} registrations, ${held} calls in flight, ${runs} runs, node ${process.version}\n`)
    process.stdout.write(`  built in process:  ${f(build)}\n  called over JSON:  ${f(wire)}\n`)
    release()
    await Promise.all(heldCalls)
  } finally {
    await caller.close()
    await callee.close()
    await router.close()
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`snapshot-speed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
