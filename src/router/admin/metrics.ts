import { Counter, Gauge, Registry, type Metric } from 'prom-client'
import { MessageCode } from '../../protocol/message-codes.js'
import { AUTH_FAILURE_URIS, CallRejectReason, DropReason, EventDropReason, type RouterCounters } from '../counters.js'
import type { Realm } from '../realm.js'
import { calleeSeries, DURATION_BOUNDS_S, type CalleeSeries } from './callee-series.js'

/** What /metrics reads from the router, at scrape time only. */
export interface MetricsSource {
  readonly counters: RouterCounters
  readonly realms: ReadonlyMap<string, Realm>
  /** Serving and accepting new sessions (what /readyz says). */
  readonly ready: boolean
  transportBytes(): { in: number; out: number }
  /** Unsent bytes queued for peers: in total and for the most backed-up peer. */
  sendBuffered(): { total: number; max: number }
}

export interface RouterMetrics {
  contentType: string
  /** The exposition text of every metric, computed now. */
  render(): Promise<string>
}

/** What a client may send a router, and what a router sends (WAMP spec, "Message Codes and Direction"). */
const RECEIVED = [
  'HELLO',
  'AUTHENTICATE',
  'GOODBYE',
  'ABORT',
  'ERROR',
  'PUBLISH',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'CALL',
  'CANCEL',
  'REGISTER',
  'UNREGISTER',
  'YIELD',
] as const
const SENT = [
  'WELCOME',
  'CHALLENGE',
  'GOODBYE',
  'ABORT',
  'ERROR',
  'PUBLISHED',
  'SUBSCRIBED',
  'UNSUBSCRIBED',
  'EVENT',
  'RESULT',
  'REGISTERED',
  'UNREGISTERED',
  'INVOCATION',
  'INTERRUPT',
] as const

const CALLEE_LABELS = ['realm', 'procedure', 'match', 'session', 'authid'] as const

/**
 * The router's Prometheus metrics in a private registry (several routers in one process never
 * share series). Every metric is computed by a collect() callback from state the router keeps
 * anyway (counters.ts, realms, CallStats) when render() is called: a scrape costs O(sessions + callees), the hot path
 * nothing. `maxCalleeSeries` caps the per-callee series; see callee-series.ts.
 */
export function routerMetrics(source: MetricsSource, options: { maxCalleeSeries: number }): RouterMetrics {
  const registry = new Registry()
  const registers = [registry]
  const c = source.counters

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (set: (v: number, labels?: Record<L, string>) => void) => void,
  ): void => {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset()
        read((v, labels) => (labels === undefined ? this.set(v) : this.set(labels, v)))
      },
    })
  }
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (add: (v: number, labels?: Record<L, string>) => void) => void,
  ): void => {
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset()
        read((v, labels) => (labels === undefined ? this.inc(v) : this.inc(labels, v)))
      },
    })
  }
  const perRealm = (read: (realm: Realm) => number) => (set: (v: number, labels: { realm: string }) => void) => {
    for (const realm of source.realms.values()) set(read(realm), { realm: realm.name })
  }

  gauge('wampctl_router_ready', '1 while the router serves and accepts new sessions, 0 while starting or shutting down.', [], (set) =>
    set(source.ready ? 1 : 0),
  )
  gauge(
    'wampctl_sessions',
    'Sessions joined, per realm.',
    ['realm'],
    perRealm((r) => r.sessions.size),
  )
  gauge(
    'wampctl_registrations',
    'Registrations, per realm.',
    ['realm'],
    perRealm((r) => r.dealer.byId.size),
  )
  gauge(
    'wampctl_subscriptions',
    'Subscriptions, per realm.',
    ['realm'],
    perRealm((r) => r.broker.byId.size),
  )
  gauge(
    'wampctl_calls_inflight',
    'Calls whose caller still waits for the answer, per realm.',
    ['realm'],
    perRealm((r) => {
      let n = 0
      for (const s of r.sessions.values()) n += s.calls.size
      return n
    }),
  )
  gauge(
    'wampctl_calls_queued',
    'Calls waiting in a registration queue for a callee under its concurrency cap, per realm.',
    ['realm'],
    perRealm((r) => {
      let n = 0
      for (const reg of r.dealer.byId.values()) n += reg.queued
      return n
    }),
  )
  counter('wampctl_sessions_opened_total', 'Sessions welcomed since the router started.', [], (add) => add(c.sessionsOpened))
  counter('wampctl_sessions_closed_total', 'Sessions ended (any way) since the router started.', [], (add) => add(c.sessionsClosed))
  counter('wampctl_messages_received_total', 'WAMP messages received, by type.', ['type'], (add) => {
    for (const type of RECEIVED) add(c.messagesIn[MessageCode[type]]!, { type })
  })
  counter('wampctl_messages_sent_total', 'WAMP messages sent, by type.', ['type'], (add) => {
    for (const type of SENT) add(c.messagesOut[MessageCode[type]]!, { type })
  })
  counter('wampctl_received_bytes_total', 'Bytes received on every transport, framing included.', [], (add) =>
    add(source.transportBytes().in),
  )
  counter('wampctl_sent_bytes_total', 'Bytes sent on every transport, framing included.', [], (add) => add(source.transportBytes().out))
  counter('wampctl_malformed_frames_total', 'Frames that did not decode or parse as a WAMP message.', [], (add) => add(c.malformedFrames))
  counter('wampctl_protocol_violations_total', 'Sessions or handshakes aborted with wamp.error.protocol_violation.', [], (add) =>
    add(c.protocolViolations),
  )
  counter('wampctl_peers_dropped_total', 'Peers the router disconnected, by reason.', ['reason'], (add) => {
    for (const reason of labelled(Object.values(DropReason), c.peersDropped)) add(c.peersDropped.get(reason) ?? 0, { reason })
  })
  counter('wampctl_authentication_failures_total', 'Failed authentications, by the error the peer got.', ['error'], (add) => {
    for (const error of labelled(AUTH_FAILURE_URIS, c.authFailures)) add(c.authFailures.get(error) ?? 0, { error })
  })
  counter('wampctl_events_dropped_total', 'Events not delivered to a subscriber, by reason.', ['reason'], (add) => {
    for (const reason of labelled(Object.values(EventDropReason), c.eventsDropped)) add(c.eventsDropped.get(reason) ?? 0, { reason })
  })
  counter(
    'wampctl_cluster_publications_total',
    'Cluster nodes: publications made here sent to the other nodes (sent), that could not go (unsent: NATS away, delivered here only, never queued), and received from them (received), per realm.',
    ['realm', 'outcome'],
    (add) => {
      for (const realm of source.realms.values()) {
        const p = realm.cluster?.pubsub.publications
        if (p === undefined) continue
        add(p.sent, { realm: realm.name, outcome: 'sent' })
        add(p.unsent, { realm: realm.name, outcome: 'unsent' })
        add(p.received, { realm: realm.name, outcome: 'received' })
      }
    },
  )
  gauge(
    'wampctl_cluster_remote_callers',
    'Cluster nodes: callers of other nodes held here for the calls they make to this node’s callees (forgotten after a node timeout without a call), per realm.',
    ['realm'],
    (set) => {
      for (const realm of source.realms.values()) {
        const f = realm.cluster?.forwarding
        if (f !== undefined) set(f.remoteCallers, { realm: realm.name })
      }
    },
  )
  counter('wampctl_calls_rejected_total', 'CALLs the router answered wamp.error.no_available_callee, by reason.', ['reason'], (add) => {
    for (const reason of labelled(Object.values(CallRejectReason), c.callsRejected)) add(c.callsRejected.get(reason) ?? 0, { reason })
  })
  gauge('wampctl_send_buffered_bytes', 'Bytes queued for peers and not yet written to their sockets (backpressure).', [], (set) =>
    set(source.sendBuffered().total),
  )
  gauge('wampctl_send_buffered_bytes_max', 'The most bytes queued for any one peer.', [], (set) => set(source.sendBuffered().max))

  // Per (registration, callee): one walk over the callees per scrape (render), shared by the four metrics.
  let series: CalleeSeries = { rows: [], aggregated: 0 }
  gauge('wampctl_callee_series_aggregated', 'Callees beyond the series cap, exported summed under procedure="#other".', [], (set) =>
    set(series.aggregated),
  )
  counter('wampctl_callee_calls_total', 'Invocations sent to the callee.', CALLEE_LABELS, (add) => {
    for (const s of series.rows) add(s.calls, s.labels)
  })
  counter(
    'wampctl_callee_errors_total',
    'Calls the callee answered with an ERROR or left unanswered (it went away).',
    CALLEE_LABELS,
    (add) => {
      for (const s of series.rows) add(s.errors, s.labels)
    },
  )
  gauge('wampctl_callee_inflight', 'Invocations sent to the callee and not answered yet.', CALLEE_LABELS, (set) => {
    for (const s of series.rows) set(s.inflight, s.labels)
  })
  registry.registerMetric(
    bucketHistogram(
      'wampctl_callee_call_duration_seconds',
      'Time from INVOCATION to the callee’s answer (YIELD or ERROR), from the router’s per-callee histogram.',
      () => series.rows,
    ),
  )
  processMetrics(gauge, counter)
  return {
    contentType: registry.contentType,
    render: async () => {
      series = calleeSeries(source.realms.values(), options.maxCalleeSeries)
      try {
        return await registry.metrics()
      } finally {
        series = { rows: [], aggregated: 0 }
      }
    },
  }
}

/** Every known label value (exported from 0, so rate() and increase() see the first one) and any other counted. */
function labelled<K extends string>(known: Iterable<K>, counted: ReadonlyMap<K, number>): Set<K> {
  return new Set([...known, ...counted.keys()])
}

/**
 * A histogram whose buckets the router already counted (CallStats): prom-client's Histogram only
 * counts observations itself, so this hands the registry the finished values in the shape it
 * formats (the same _bucket/_sum/_count series Histogram produces).
 */
function bucketHistogram(name: string, help: string, read: () => CalleeSeries['rows']): Metric {
  const values = (): Array<{ metricName: string; labels: Record<string, string | number>; value: number }> => {
    const out: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = []
    for (const s of read()) {
      DURATION_BOUNDS_S.forEach((le, i) => out.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le }, value: s.buckets[i]! }))
      out.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.finished })
      out.push({ metricName: `${name}_sum`, labels: s.labels, value: s.totalSeconds })
      out.push({ metricName: `${name}_count`, labels: s.labels, value: s.finished })
    }
    return out
  }
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
    reset: () => {},
  }
  return metric as unknown as Metric
}

type GaugeOf = (name: string, help: string, labelNames: readonly never[], read: (set: (v: number) => void) => void) => void

/**
 * The usual process_* series under their standard names. (prom-client's collectDefaultMetrics
 * also exports nodejs_* gauges named *_total, which `promtool check metrics` rejects.)
 */
function processMetrics(gauge: GaugeOf, counter: GaugeOf): void {
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime())
  counter('process_cpu_seconds_total', 'User and system CPU time spent, seconds.', [], (add) => {
    const u = process.cpuUsage()
    add((u.user + u.system) / 1e6)
  })
  gauge('process_resident_memory_bytes', 'Resident memory size, bytes.', [], (set) => set(process.memoryUsage.rss()))
  gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, seconds.', [], (set) => set(startSeconds))
  gauge('nodejs_heap_used_bytes', 'V8 heap in use, bytes.', [], (set) => set(process.memoryUsage().heapUsed))
}
