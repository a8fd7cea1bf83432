import { BaseCommand } from '../../src/cli/base-command.js'
import { readClusterStatus } from '../../src/ops/cluster-status.js'
import type { ClusterStatus } from '../../src/protocol/cluster.js'
import { renderClusterStatus } from '../../src/ui/cluster-view.js'

export default class ClusterStatusCommand extends BaseCommand<typeof ClusterStatusCommand> {
  static override summary = 'The nodes of the router cluster: state, sessions, calls/s, NATS link, last heartbeat.'
  static override description = [
    'Asks the router you are connected to (any node): every node it knows, alive or dead, with the sessions connected to it',
    'and the calls/s its callees answered in the realm, its NATS connection and how long ago it was last heard; * marks the',
    'node that answered. A single router prints one line saying it is not a cluster (exit 0; --json prints the object with',
    'cluster null). A router that does not serve wampctl.cluster.status (Crossbar, Nexus): one line, exit 1.',
  ].join('\n')
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --url ws://node-b:8081/ws --json']

  async run(): Promise<ClusterStatus> {
    const { client } = await this.connect()
    const report = await readClusterStatus(client)
    if (!this.jsonEnabled()) this.log(renderClusterStatus(report, client.url))
    return report
  }
}
