/**
 * Load a module that draws with ink, for a real terminal. Two things must hold before ink is
 * first imported:
 * - React's production build: the development build records a performance.measure() per render
 *   that Node keeps forever (ink#869), which a monitor left open cannot afford;
 * - ink decides once, at import, whether it runs "in CI" (env CI / CONTINUOUS_INTEGRATION) and
 *   then draws only the last frame. A live view on a terminal must stay live even when a CI job
 *   (or a shell profile) sets CI, so those variables are hidden from ink while it loads.
 */
export async function importForTerminal<T>(load: () => Promise<T>): Promise<T> {
  process.env.NODE_ENV ??= 'production'
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION }
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  try {
    await import('ink')
    return await load()
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v
  }
}
