import { useEffect, useState } from 'react'
import type { LiveSource } from '../live/feed.js'
import { throttle } from '../live/throttle.js'

/**
 * Re-render on model changes, at most `maxPerSecond` times a second (trailing: the last change
 * always shows). Returns the model version the render sees.
 */
export function useLiveVersion(source: LiveSource, maxPerSecond: number): number {
  const [, setTick] = useState(0)
  useEffect(() => {
    const t = throttle(() => setTick((n) => n + 1), 1000 / maxPerSecond)
    const off = source.onChange(t.schedule)
    return () => {
      off()
      t.cancel()
    }
  }, [source, maxPerSecond])
  return source.model.version
}
