import { Type, type Static } from '@sinclair/typebox';
import { Timestamp } from './common.js';

/** One API node, from its heartbeat row. */
export const ClusterNode = Type.Object({
  id: Type.String({ description: 'host:port:pid' }),
  url: Type.String(),
  leader: Type.Boolean({ description: 'holds the dispatcher lease: the one node that starts jobs' }),
  self: Type.Boolean({ description: 'the node that answered this request' }),
  startedAt: Timestamp,
  heartbeatAt: Timestamp,
  jobs: Type.Array(Type.String(), { description: 'jobs running on the node: training jobs by name, transform:<name>, evaluation:<name>' }),
});
export type ClusterNode = Static<typeof ClusterNode>;

export const ClusterNodeList = Type.Object({ items: Type.Array(ClusterNode) });
export type ClusterNodeList = Static<typeof ClusterNodeList>;

const Count = Type.Integer({ minimum: 0 });
/** sinfo's allocated/idle/other/total. */
export const AllocationCounts = Type.Object({ allocated: Count, idle: Count, other: Count, total: Count });

export const SlurmPartitionState = Type.Object({
  name: Type.String(),
  default: Type.Boolean({ description: "the cluster's default partition" }),
  available: Type.String({ description: 'up, down, drain or inact' }),
  timeLimit: Type.String(),
  nodes: AllocationCounts,
  nodeList: Type.String(),
});

export const SlurmNodeState = Type.Object({
  name: Type.String(),
  partitions: Type.Array(Type.String()),
  state: Type.String({ description: "sinfo's long state: idle, mixed, allocated, drained, down* … (a trailing * means not responding)" }),
  cpus: AllocationCounts,
  memoryMiB: Count,
  freeMemoryMiB: Type.Union([Type.Number(), Type.Null()]),
  cpuLoad: Type.Union([Type.Number(), Type.Null()]),
  reason: Type.String({ description: "why the node is drained or down; '' when none" }),
});

export const SlurmQueueEntry = Type.Object({
  id: Type.String(),
  name: Type.String(),
  stratusJob: Type.Optional(Type.String({ description: 'the Stratus training job of a stratus-<name> Slurm job' })),
  user: Type.String(),
  state: Type.String(),
  reason: Type.String(),
  nodeCount: Count,
  nodes: Type.String(),
  elapsed: Type.String(),
  timeLimit: Type.String(),
  partition: Type.String(),
  submitTime: Type.String(),
});

/** The Slurm cluster as the server's Slurm CLI sees it. */
export const SlurmView = Type.Object({
  conf: Type.Optional(Type.String({ description: 'SLURM_CONF the server uses; absent: Slurm’s default' })),
  partition: Type.Optional(Type.String({ description: 'the partition jobs go to; absent: the default partition' })),
  workDir: Type.String(),
  reachable: Type.Boolean({ description: 'whether sinfo and squeue answered' }),
  error: Type.Optional(Type.String({ description: 'why not, when unreachable' })),
  version: Type.Optional(Type.String()),
  partitions: Type.Array(SlurmPartitionState),
  nodes: Type.Array(SlurmNodeState),
  queue: Type.Array(SlurmQueueEntry, { description: 'the first 500 jobs of squeue' }),
  queueTotal: Count,
  capacity: Type.Optional(Type.Object({
    partition: Type.String({ description: 'the partition jobs go to' }),
    nodes: Count,
    up: Count,
    idle: Count,
  }, { description: "the job partition's nodes: all, those taking jobs (not down, drained or unresponsive), and those with nothing running" })),
});
export type SlurmView = Static<typeof SlurmView>;

/** Where this server runs training jobs. */
export const ExecutorStatus = Type.Object({
  kind: Type.Union([Type.Literal('local'), Type.Literal('slurm')]),
  node: Type.String({ description: 'the API node that answered' }),
  local: Type.Optional(Type.Object({ cpus: Count, memoryMiB: Count }, { description: 'what the local executor hands out to jobs and replicas' })),
  slurm: Type.Optional(SlurmView),
});
export type ExecutorStatus = Static<typeof ExecutorStatus>;
