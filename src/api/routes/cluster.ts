import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ClusterNode } from '../../cluster/cluster-node.js';
import { PlatformError } from '../../core/errors.js';

const Node = Type.Object({
  id: Type.String({ description: 'host:port:pid' }),
  url: Type.String(),
  leader: Type.Boolean({ description: 'holds the dispatcher lease: the one node that starts jobs' }),
  self: Type.Boolean({ description: 'the node that answered this request' }),
  startedAt: Type.String({ format: 'date-time' }),
  heartbeatAt: Type.String({ format: 'date-time' }),
  jobs: Type.Array(Type.String(), { description: 'jobs running on the node: training jobs by name, transform:<name>, evaluation:<name>' }),
});
const NodeList = Type.Object({ items: Type.Array(Node) });

/** The API nodes sharing this database, from their heartbeats (admin only). */
export const clusterRoutes: FastifyPluginAsyncTypebox<{ cluster: ClusterNode }> = async (app, { cluster }) => {
  app.get('/cluster/nodes', { schema: { summary: 'List live API nodes (admin only)', response: { 200: NodeList } } }, async (req) => {
    if (req.principal?.role !== 'admin') throw new PlatformError('Forbidden', 'listing cluster nodes needs an admin key');
    const nodes = await cluster.nodes();
    return {
      items: nodes.map((n) => ({ ...n, startedAt: n.startedAt.toISOString(), heartbeatAt: n.heartbeatAt.toISOString() })),
    };
  });
};
