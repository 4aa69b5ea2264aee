import { runSlurmCli } from './slurm-cli.js';

/** Allocated / idle / other / total, as sinfo's `%F` (nodes) and `%C` (CPUs) give them. */
export interface AllocationCounts {
  allocated: number;
  idle: number;
  other: number;
  total: number;
}

export interface SlurmPartitionState {
  name: string;
  /** The cluster's default partition (`*` in sinfo). */
  default: boolean;
  /** up, down, drain or inact. */
  available: string;
  timeLimit: string;
  nodes: AllocationCounts;
  nodeList: string;
}

export interface SlurmNodeState {
  name: string;
  partitions: string[];
  /** sinfo's long state: idle, mixed, allocated, drained, down*, … (`*`: not responding). */
  state: string;
  cpus: AllocationCounts;
  memoryMiB: number;
  freeMemoryMiB: number | null;
  cpuLoad: number | null;
  /** Why a node is drained or down ('' when none). */
  reason: string;
}

export interface SlurmQueueEntry {
  id: string;
  name: string;
  /** The Stratus training job of a `stratus-<name>` Slurm job. */
  stratusJob?: string;
  user: string;
  state: string;
  reason: string;
  nodeCount: number;
  nodes: string;
  elapsed: string;
  timeLimit: string;
  partition: string;
  submitTime: string;
}

/** The cluster as the Slurm CLI shows it: version, partitions, nodes and the queue. */
export interface SlurmClusterView {
  version: string;
  partitions: SlurmPartitionState[];
  nodes: SlurmNodeState[];
  queue: SlurmQueueEntry[];
  /** Jobs in the queue; `queue` holds the first {@link QUEUE_LIMIT}. */
  queueTotal: number;
}

export const QUEUE_LIMIT = 500;

/**
 * Reads the cluster's state through the Slurm CLI, read-only: `sinfo --version`, `sinfo -s`,
 * `sinfo -N` and `squeue`, with the same clean environment the executor uses.
 * @throws Error `sinfo failed: …` when the CLI is missing or slurmctld does not answer.
 */
export async function readSlurmCluster(opts: { conf?: string; timeoutMs?: number } = {}): Promise<SlurmClusterView> {
  const cli = (program: string, args: string[]) => runSlurmCli(program, args, { ...(opts.conf ? { conf: opts.conf } : {}), timeoutMs: opts.timeoutMs ?? 15_000 });
  const [version, partitions, nodes, queue] = await Promise.all([
    cli('sinfo', ['--version']),
    cli('sinfo', ['-h', '-s', '-o', '%P|%a|%l|%F|%N']),
    cli('sinfo', ['-h', '-N', '-o', '%N|%P|%T|%C|%m|%e|%O|%E']),
    cli('squeue', ['-h', '-o', '%i|%j|%u|%T|%D|%N|%M|%l|%P|%V|%r']),
  ]);
  const entries = parseQueue(queue);
  return { version: version.trim(), partitions: parsePartitions(partitions), nodes: parseNodes(nodes), queue: entries.slice(0, QUEUE_LIMIT), queueTotal: entries.length };
}

const lines = (out: string) => out.split('\n').map((l) => l.trim()).filter((l) => l.includes('|'));
const count = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : 0);
const numberOrNull = (s: string | undefined) => (s !== undefined && s !== '' && Number.isFinite(Number(s)) ? Number(s) : null);
const noneToEmpty = (s: string | undefined) => (s === undefined || s === 'none' || s === 'None' || s === '(null)' ? '' : s);

/** `1/2/0/3` → allocated 1, idle 2, other 0, total 3. */
export function parseCounts(text: string): AllocationCounts {
  const [allocated, idle, other, total] = text.split('/');
  return { allocated: count(allocated), idle: count(idle), other: count(other), total: count(total) };
}

/** Lines of `sinfo -h -s -o '%P|%a|%l|%F|%N'`. */
export function parsePartitions(out: string): SlurmPartitionState[] {
  return lines(out).map((l) => {
    const [name = '', available = '', timeLimit = '', nodes = '', nodeList = ''] = l.split('|');
    return { name: name.replace(/\*$/, ''), default: name.endsWith('*'), available, timeLimit, nodes: parseCounts(nodes), nodeList };
  });
}

/** Lines of `sinfo -h -N -o '%N|%P|%T|%C|%m|%e|%O|%E'`: one per node and partition, merged per node. */
export function parseNodes(out: string): SlurmNodeState[] {
  const byName = new Map<string, SlurmNodeState>();
  for (const l of lines(out)) {
    const [name = '', partition = '', state = '', cpus = '', memory = '', free = '', load = '', ...reason] = l.split('|');
    const known = byName.get(name);
    if (known) {
      known.partitions.push(partition.replace(/\*$/, ''));
      continue;
    }
    byName.set(name, {
      name, partitions: [partition.replace(/\*$/, '')], state, cpus: parseCounts(cpus), memoryMiB: count(memory),
      freeMemoryMiB: numberOrNull(free), cpuLoad: numberOrNull(load), reason: noneToEmpty(reason.join('|')),
    });
  }
  return [...byName.values()];
}

/** Lines of `squeue -h -o '%i|%j|%u|%T|%D|%N|%M|%l|%P|%V|%r'`. */
export function parseQueue(out: string): SlurmQueueEntry[] {
  return lines(out).map((l) => {
    const [id = '', name = '', user = '', state = '', nodeCount = '', nodes = '', elapsed = '', timeLimit = '', partition = '', submitTime = '', ...reason] = l.split('|');
    const stratusJob = name.startsWith('stratus-') && name.length > 'stratus-'.length ? name.slice('stratus-'.length) : undefined;
    return {
      id, name, ...(stratusJob ? { stratusJob } : {}), user, state, reason: noneToEmpty(reason.join('|')), nodeCount: count(nodeCount), nodes,
      elapsed, timeLimit, partition, submitTime,
    };
  });
}

/** States (before any flag suffix) in which a node takes no new job. */
const UNUSABLE = /^(down|drain|drained|draining|fail|failing|inval|unknown|future|not_responding|reserved|maint|powered_down|powering_down)/;

/** Nodes that can take jobs (`up`) and of those, the ones with nothing running (`idle`). */
export function nodeCounts(nodes: SlurmNodeState[], partition?: string): { total: number; up: number; idle: number } {
  const mine = partition ? nodes.filter((n) => n.partitions.includes(partition)) : nodes;
  // A trailing `*` means slurmctld has not heard from the node's slurmd.
  const up = mine.filter((n) => !UNUSABLE.test(n.state) && !n.state.endsWith('*'));
  return { total: mine.length, up: up.length, idle: up.filter((n) => n.state.startsWith('idle')).length };
}
