import { Flags } from '@oclif/core'
import { WampctlCommand } from '../../src/cli/base-command.js'
import { contextSwitchLine } from '../../src/cli/context.js'
import { parseHostPort } from '../../src/cli/host-port.js'
import { serve } from '../../src/cli/serve.js'
import { formatDuration, parseDuration } from '../../src/ops/duration.js'
import { LOG_FORMATS, LOG_LEVELS, pinoLogger } from '../../src/router/log/pino-logger.js'

export default class RouterStart extends WampctlCommand<typeof RouterStart> {
  static override summary = 'Start the embedded WAMP router.'
  static override description =
    'Serves WAMP v2 over WebSocket and, with --rawsocket, RawSocket on TCP or a Unix socket (JSON, msgpack, CBOR), with TLS given --tls-cert/--tls-key (SIGHUP reloads them), with shared registrations, the standard meta API and the wampctl operations extensions. Creates an admin credential and writes a context into the config dir, so wampctl on this machine needs no flags. Logs one line per session open/close and per failure on stderr (JSON, or text on a terminal). --admin serves /metrics (Prometheus), /healthz and /readyz. SIGTERM or SIGINT shuts down gracefully: /readyz turns 503, new sessions and calls are refused, calls in flight get --grace to finish, then every session gets GOODBYE wamp.close.system_shutdown; a second signal stops at once.'
  static override examples = [
    '<%= config.bin %> router start',
    '<%= config.bin %> router start --port 0 --realm realm1 --realm staging',
    '<%= config.bin %> router start --config router.json --no-extensions',
    '<%= config.bin %> router start --rawsocket 127.0.0.1:8081 --rawsocket unix:/run/wampctl.sock',
    '<%= config.bin %> router start --tls-cert cert.pem --tls-key key.pem --rawsocket 0.0.0.0:8443',
    '<%= config.bin %> router start --admin 127.0.0.1:9100 --grace 30s --log-format json',
    '<%= config.bin %> router start --port 8081 --cluster nats://n1:4222,nats://n2:4222,nats://n3:4222 --cluster-replicas 3 --node b --cluster-nkey /etc/wampctl/node.nk',
  ]
  static override enableJsonFlag = false
  static override flags = {
    host: Flags.string({ description: 'address to listen on [default: config file, else 127.0.0.1]' }),
    port: Flags.integer({ description: 'port to listen on, 0 picks a free one [default: config file, else 8080]', min: 0, max: 65535 }),
    realm: Flags.string({ description: 'realm to serve (repeatable) [default: realm1]', multiple: true }),
    config: Flags.string({ description: 'JSON config file (realms, roles, auth, limits, admin)' }),
    path: Flags.string({ description: 'WebSocket path [default: /ws]' }),
    extensions: Flags.boolean({
      description: 'serve the wampctl.* operations extensions (--no-extensions: a standard router)',
      default: true,
      allowNo: true,
    }),
    rawsocket: Flags.string({
      description: 'also serve WAMP over RawSocket on HOST:PORT or unix:/PATH (repeatable) [default: config file, else none]',
      multiple: true,
    }),
    'tls-cert': Flags.string({
      description: 'TLS certificate chain (PEM): wss:// and rss:// instead of ws:// and rs://',
      dependsOn: ['tls-key'],
    }),
    'tls-key': Flags.string({ description: 'TLS private key (PEM)', dependsOn: ['tls-cert'] }),
    'tls-ca': Flags.string({ description: 'CA bundle (PEM): require client certificates it signed', dependsOn: ['tls-cert'] }),
    'max-message-size': Flags.integer({ description: 'largest message accepted, bytes [default: 16 MiB]', min: 1024 }),
    'ping-interval': Flags.integer({ description: 'ping every peer this often, ms; 0 = no liveness checks [default: 15000]', min: 0 }),
    'pong-timeout': Flags.integer({ description: 'drop a peer silent this long after a ping, ms [default: 15000]', min: 1 }),
    'handshake-timeout': Flags.integer({
      description: 'close a connection not through HELLO/WELCOME within this, ms; 0 = never [default: 10000]',
      min: 0,
    }),
    'invocation-deadline': Flags.integer({
      description: 'give up on an unanswered invocation after this, ms; 0 = never [default: 0]',
      min: 0,
    }),
    'queue-size': Flags.integer({
      description: 'calls that may wait per registration for a callee under its concurrency cap; 0 = none [default: 1000]',
      min: 0,
    }),
    'queue-wait': Flags.integer({
      description: 'longest a call waits for a callee under its concurrency cap, ms [default: 30000]',
      min: 1,
    }),
    admin: Flags.string({
      description: 'serve /metrics, /healthz and /readyz on HOST:PORT (e.g. 127.0.0.1:9100; port 0 picks one) [default: off]',
    }),
    'admin-token': Flags.string({ description: 'bearer token /metrics requires', env: 'WAMPCTL_ADMIN_TOKEN' }),
    grace: Flags.string({ description: 'on SIGTERM/SIGINT, how long calls in flight may take to finish (e.g. 10s, 1m) [default: 10s]' }),
    'log-level': Flags.string({ description: 'lowest level logged', options: [...LOG_LEVELS], default: 'info' }),
    'log-format': Flags.string({ description: 'log lines on stderr [default: text on a terminal, else json]', options: [...LOG_FORMATS] }),
    cluster: Flags.string({
      description: 'join a cluster of router nodes through NATS with JetStream at this URL (comma-separated for several) (docs/cluster.md)',
      env: 'WAMPCTL_CLUSTER',
    }),
    node: Flags.string({ description: "this node's name in the cluster, unique (letters, digits, - and _)", env: 'WAMPCTL_NODE' }),
    'cluster-name': Flags.string({ description: 'cluster name, so several clusters can share one NATS [default: wampctl]' }),
    'cluster-user': Flags.string({ description: 'NATS user', dependsOn: ['cluster-pass'] }),
    'cluster-pass': Flags.string({ description: 'NATS password', env: 'WAMPCTL_CLUSTER_PASS', dependsOn: ['cluster-user'] }),
    'cluster-token': Flags.string({ description: 'NATS token', env: 'WAMPCTL_CLUSTER_TOKEN' }),
    'cluster-nkey': Flags.string({ description: "file holding this node's NATS nkey seed (SU…, as `nk -gen user` prints)" }),
    'cluster-creds': Flags.string({ description: 'NATS .creds file (user JWT and nkey seed, as `nsc` writes it)' }),
    'cluster-ca': Flags.string({ description: "CA bundle (PEM) that signed the NATS servers' certificates: TLS to NATS" }),
    'cluster-replicas': Flags.integer({
      description: 'replicas of the KV buckets the cluster creates: 3 on a NATS cluster of 3 [default: 1]',
      min: 1,
      max: 5,
    }),
    'node-timeout': Flags.string({ description: 'a node silent this long is dead and its sessions are removed (e.g. 5s) [default: 5s]' }),
    heartbeat: Flags.string({
      description:
        'how often this node tells the others it is alive, at most a third of --node-timeout (e.g. 500ms) [default: 1s, or a fifth of --node-timeout when that is less]',
    }),
    'context-name': Flags.string({ description: 'name of the context written for the CLI', default: 'local' }),
    'no-context': Flags.boolean({ description: 'do not write a context' }),
  }

  async run(): Promise<void> {
    const f = this.flags
    const logger = pinoLogger({
      level: f['log-level'] as (typeof LOG_LEVELS)[number],
      format: (f['log-format'] as (typeof LOG_FORMATS)[number] | undefined) ?? (process.stderr.isTTY ? 'text' : 'json'),
    })
    const address = f.admin === undefined ? undefined : parseHostPort(f.admin, '--admin')
    const token = f['admin-token']
    const { router, contextPath, previousContext } = await serve({
      host: f.host,
      port: f.port,
      realms: f.realm ?? [],
      configFile: f.config,
      path: f.path,
      extensions: f.extensions,
      maxMessageSize: f['max-message-size'],
      liveness: { pingIntervalMs: f['ping-interval'], pongTimeoutMs: f['pong-timeout'] },
      handshakeTimeoutMs: f['handshake-timeout'],
      invocationDeadlineMs: f['invocation-deadline'],
      callQueue: { size: f['queue-size'], maxWaitMs: f['queue-wait'] },
      rawsocket: f.rawsocket,
      tls: { cert: f['tls-cert'], key: f['tls-key'], ca: f['tls-ca'] },
      admin: address === undefined && token === undefined ? undefined : { ...address, token },
      shutdownGraceMs: f.grace === undefined ? undefined : parseDuration(f.grace, '--grace'),
      cluster: {
        servers: f.cluster,
        node: f.node,
        name: f['cluster-name'],
        user: f['cluster-user'],
        pass: f['cluster-pass'],
        token: f['cluster-token'],
        nkeyFile: f['cluster-nkey'],
        credsFile: f['cluster-creds'],
        ca: f['cluster-ca'],
        replicas: f['cluster-replicas'],
        nodeTimeoutMs: f['node-timeout'] === undefined ? undefined : parseDuration(f['node-timeout'], '--node-timeout'),
        heartbeatMs: f.heartbeat === undefined ? undefined : parseDuration(f.heartbeat, '--heartbeat'),
      },
      context: f['no-context'] ? false : f['context-name'],
      logger,
    })
    // SIGHUP: serve a renewed TLS certificate to new connections, without a restart.
    const reload = (): void => {
      try {
        router.reloadTls()
        logger.info('TLS certificate reloaded')
      } catch (err) {
        // The listeners keep the certificate they had; the operator fixes the files and sends SIGHUP again.
        logger.error('TLS certificate not reloaded', { reason: (err as Error).message })
      }
    }
    if (router.url.startsWith('wss:')) process.on('SIGHUP', reload)
    // The signal handlers go in before the lines that say the router is up: a supervisor (or a
    // test) that sends SIGTERM as soon as it reads them must get a graceful shutdown, not Node's
    // default (killed at once, without leaving the cluster).
    const stopped = new Promise<void>((resolve) => {
      let signals = 0
      const onSignal = (signal: NodeJS.Signals): void => {
        signals++
        if (signals === 1) {
          process.off('SIGHUP', reload)
          logger.info('shutdown requested', {
            signal,
            grace: formatDuration(router.shutdownGraceMs),
            again: 'a second signal stops at once',
          })
          router.shutdown().then(resolve, resolve)
        } else {
          logger.warn('stopping at once', { signal })
          router.close().then(resolve, resolve)
        }
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
    })
    this.log(
      `wampctl router listening on ${router.url} (realms: ${[...router.realms.keys()].join(', ')}; extensions ${router.extensions ? 'on' : 'off'})`,
    )
    if (router.cluster !== undefined)
      this.log(`cluster node ${router.cluster.node} joined through ${router.cluster.link.settings.servers.join(', ')}`)
    for (const url of router.rawsocketUrls) this.log(`wampctl router listening on ${url} (RawSocket)`)
    if (router.adminUrl !== undefined) this.log(`admin listener on ${router.adminUrl} (/metrics, /healthz, /readyz)`)
    if (contextPath !== undefined) this.log(contextSwitchLine(f['context-name'], contextPath, previousContext))
    await stopped
    this.log('wampctl router stopped')
  }
}
