import type { MetaClient } from '../../client/meta-client.js'
import { opsActions } from '../live/actions.js'
import { LiveFeed } from '../live/feed.js'

export const DASHBOARD_SAMPLES = 180

/** `wampctl dashboard`: the live feed with three minutes of history, drawn by blessed-contrib. */
export async function launchDashboard(
  meta: MetaClient,
  options: { intervalMs: number; stop?: Promise<void>; reconnect?: () => Promise<MetaClient> },
): Promise<void> {
  const feed = await LiveFeed.start(meta, {
    intervalMs: options.intervalMs,
    historyLength: DASHBOARD_SAMPLES,
    reconnect: options.reconnect,
  })
  try {
    const { runDashboard } = await import('./run-dashboard.js')
    await runDashboard({ source: feed, actions: opsActions(() => feed.meta), samples: DASHBOARD_SAMPLES, stop: options.stop })
  } finally {
    await feed.stop()
  }
}
