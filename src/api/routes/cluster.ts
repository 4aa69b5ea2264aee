import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { ClusterNode } from '../../cluster/cluster-node.js';
import { ClusterNodeList, ExecutorStatus, type SlurmView } from '../../contracts/cluster.js';
import type { StratusConfig } from '../../core/config.js';
import { PlatformError } from '../../core/errors.js';
import { nodeCounts, readSlurmCluster } from '../../jobs/slurm/slurm-status.js';

const adminOnly = (req: FastifyRequest, what: string) => {
  if (req.principal?.role !== 'admin') throw new PlatformError('Forbidden', `${what} needs an admin key`);
};

/** The API nodes sharing this database, from their heartbeats, and the executor this node uses (admin only). */
export const clusterRoutes: FastifyPluginAsyncTypebox<{ cluster: ClusterNode; config: Pick<StratusConfig, 'executor' | 'slurm'> }> = async (app, { cluster, config }) => {
  app.get('/cluster/nodes', { schema: { summary: 'List live API nodes (admin only)', response: { 200: ClusterNodeList } } }, async (req) => {
    adminOnly(req, 'listing cluster nodes');
    const nodes = await cluster.nodes();
    return {
      items: nodes.map((n) => ({ ...n, startedAt: n.startedAt.toISOString(), heartbeatAt: n.heartbeatAt.toISOString() })),
    };
  });

  app.get(
    '/cluster/executor',
    { schema: { summary: "Where training jobs run: the local executor's capacity, or the Slurm cluster's partitions, nodes and queue (admin only)", response: { 200: ExecutorStatus } } },
    async (req) => {
      adminOnly(req, 'reading the executor status');
      if (config.executor.kind === 'local') return { kind: 'local' as const, node: cluster.id, local: { cpus: config.executor.cpus, memoryMiB: config.executor.memoryMiB } };
      return { kind: 'slurm' as const, node: cluster.id, slurm: await slurmView(config.slurm) };
    },
  );
};

/** What the server's Slurm CLI shows; an unreachable slurmctld is part of the answer, not an error. */
async function slurmView(settings: StratusConfig['slurm']): Promise<SlurmView> {
  const base = { ...(settings.conf ? { conf: settings.conf } : {}), ...(settings.partition ? { partition: settings.partition } : {}), workDir: settings.workDir };
  try {
    const view = await readSlurmCluster({ ...(settings.conf ? { conf: settings.conf } : {}) });
    const partition = settings.partition ?? view.partitions.find((p) => p.default)?.name;
    const capacity = partition ? { partition, ...renameTotal(nodeCounts(view.nodes, partition)) } : undefined;
    return { ...base, reachable: true, ...view, ...(capacity ? { capacity } : {}) };
  } catch (e) {
    return { ...base, reachable: false, error: (e as Error).message, partitions: [], nodes: [], queue: [], queueTotal: 0 };
  }
}

const renameTotal = ({ total, up, idle }: { total: number; up: number; idle: number }) => ({ nodes: total, up, idle });
