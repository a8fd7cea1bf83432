import { Box, Text } from 'ink'
import { useEffect, useState, useSyncExternalStore } from 'react'
import { formatDuration } from '../../ops/duration.js'
import { pct } from '../../ops/rollout/index.js'
import type { SideStats } from '../../protocol/rollout.js'
import { num } from './lines.js'
import type { ViewStore } from './view-state.js'

export interface ProgressViewProps {
  store: ViewStore
  /** "rollout canary com.example.svc" */
  title: string
  /** The gates, as one line ("error rate ≤ 1%, p99 ≤ 500 ms"). */
  gates: string | null
}

/**
 * The live rollout view (ink): the step, the weights, calls, error rate and p99 for the canary
 * against the rest in the current window, the time to the next step, and the last events.
 */
export function ProgressView({ store, title, gates }: ProgressViewProps): React.JSX.Element {
  const s = useSyncExternalStore(store.subscribe, store.getSnapshot)
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    if (s.done) return undefined
    const t = setInterval(() => setNow(Date.now()), 250)
    return () => clearInterval(t)
  }, [s.done])
  const step = s.step
  const verdictColor = s.verdict?.verdict === 'pass' ? 'green' : s.verdict?.verdict === 'breach' ? 'red' : 'yellow'
  return (
    <Box flexDirection="column">
      <Text bold>
        wampctl {title}
        {s.canary !== null ? <Text> — canary session {s.canary}</Text> : null}
      </Text>
      <Text>
        <Text color={s.phase === 'rolled back' ? 'red' : s.phase.startsWith('promoted') ? 'green' : 'cyan'}>{s.phase}</Text>
        {step !== null && !s.done ? (
          <Text dimColor>{`   next check in ${formatDuration(Math.max(0, step.next_step_at - now))}`}</Text>
        ) : null}
      </Text>
      {step !== null ? (
        <Text>
          {`${step.percent}% of the traffic · canary weight ${num(step.canary_weight)} · old weights ${step.old_weights.map((w) => num(w.weight)).join(', ') || '-'}`}
        </Text>
      ) : null}
      {gates !== null ? <Text dimColor>gates: {gates}</Text> : null}
      {s.window !== null ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{row('', 'calls', 'errors', 'error rate', 'p99', 'in flight')}</Text>
          <Text>{sideRow('canary', s.window.canary)}</Text>
          <Text>{sideRow('rest', s.window.rest)}</Text>
          <Text
            dimColor
          >{`canary share ${s.window.share === null ? '-' : pct(s.window.share)} over ${formatDuration(s.window.elapsed_ms)}`}</Text>
        </Box>
      ) : null}
      {s.verdict !== null ? (
        <Text>
          last gate: <Text color={verdictColor}>{s.verdict.verdict}</Text> <Text dimColor>{s.verdict.reason}</Text>
        </Text>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        {s.log.map((l, i) => (
          <Text key={`${i}:${l}`} dimColor={i < s.log.length - 1} wrap="truncate-end">
            {l}
          </Text>
        ))}
      </Box>
    </Box>
  )
}

function sideRow(name: string, x: SideStats): string {
  return row(
    name,
    String(x.calls),
    String(x.errors),
    x.error_rate === null ? '-' : pct(x.error_rate),
    x.p99_ms === null ? '-' : `${x.p99_ms} ms`,
    String(x.inflight),
  )
}

function row(...cells: string[]): string {
  const widths = [8, 8, 8, 12, 12, 10]
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('')
}
