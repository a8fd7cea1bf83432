/**
 * Ctrl-C for long-running views (`--watch`, `events`): the first SIGINT or SIGTERM aborts the
 * returned signal so the command can stop cleanly (close its session, exit 0); so does stdout
 * closing (`wampctl events | head -3`: oclif swallows EPIPE, so the view would run on unseen).
 * `dispose` removes the handlers again.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') controller.abort()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  process.stdout.on('error', onStdoutError)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.stdout.off('error', onStdoutError)
    },
  }
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
