import type { RolloutClient } from '../client/rollout-client.js'
import type { RolloutRecord, RolloutSpec } from '../protocol/rollout.js'
import { followRollout, outcomeError } from '../ops/rollout/index.js'
import { interruptSignal } from '../ui/interrupt.js'
import { createReporter } from '../ui/rollout/reporter.js'
import { finalSummary } from '../ui/rollout/summary.js'

/**
 * Submit (or pick up) a rollout and watch it to its end in the view that fits stdout: the live
 * ink view on a terminal, plain lines otherwise, NDJSON with --json. Ctrl-C stops watching only.
 * Returns the final record; throws the outcome's error (exit 6 rolled back, 5 timed out).
 */
export async function watchToEnd(
  rc: RolloutClient,
  target: { spec: RolloutSpec } | { uri: string },
  view: { json: boolean; title: string; gates: string | null; log: (line: string) => void },
): Promise<RolloutRecord> {
  const reporter = await createReporter({
    json: view.json,
    tty: process.stdout.isTTY === true && !view.json,
    title: view.title,
    gates: view.gates,
  })
  const interrupt = interruptSignal()
  let final: RolloutRecord
  try {
    final = await followRollout(rc, target, {
      signal: interrupt.signal,
      onEvent: (e) => reporter.event(e),
      onRecord: 'uri' in target ? (r) => reporter.seed(r) : undefined,
    })
  } catch (err) {
    await reporter.close((err as Error).message)
    throw err
  } finally {
    interrupt.dispose()
  }
  await reporter.close(final.outcome ?? final.status)
  if (!view.json) view.log(finalSummary(final))
  const err = outcomeError(final)
  if (err !== null) {
    if (view.json) process.stdout.write(`${JSON.stringify(final)}\n`)
    throw err
  }
  return final
}
