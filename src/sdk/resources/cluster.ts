import type { Transport } from '../transport.js';
import type { ClusterNodeList, ExecutorStatus } from '../../contracts/cluster.js';

export type { ClusterNode, ClusterNodeList, ExecutorStatus, SlurmView } from '../../contracts/cluster.js';

/**
 * The cluster as a server sees it (admin keys only): the live API nodes sharing its database, and
 * the executor its training jobs run on (local capacity, or Slurm's partitions, nodes and queue).
 * @example
 * const { items } = await client.cluster.nodes();
 * const leader = items.find((n) => n.leader);
 * const { slurm } = await client.cluster.executor();
 */
export class ClusterApi {
  constructor(private readonly transport: Transport) {}

  nodes(): Promise<ClusterNodeList> {
    return this.transport.json({ path: '/api/v1/cluster/nodes' });
  }

  executor(): Promise<ExecutorStatus> {
    return this.transport.json({ path: '/api/v1/cluster/executor' });
  }
}
