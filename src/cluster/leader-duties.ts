import type { Logger } from '../core/logger.js';
import type { ClusterNode } from './cluster-node.js';

/** The kinds of job the leader dispatches (queued in the store, run by the leader). */
export const JOB_KINDS = ['training', 'transform', 'evaluation'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * A job's entry in its node's heartbeat: training jobs by their bare name, the others as
 * `transform:<name>` / `evaluation:<name>`. Resource names cannot hold ':', so entries never clash.
 */
export const heartbeatEntry = (kind: JobKind, name: string) => (kind === 'training' ? name : `${kind}:${name}`);

function parseEntry(entry: string): { kind: JobKind; name: string } {
  const cut = entry.indexOf(':');
  const kind = entry.slice(0, cut) as JobKind;
  return cut > 0 && JOB_KINDS.includes(kind) ? { kind, name: entry.slice(cut + 1) } : { kind: 'training', name: entry };
}

/** A job service the leader drives (TrainingService, TransformService, EvaluationService). */
export interface Dispatchable {
  /** Names of the jobs this node runs or is creating now, for its heartbeat. */
  runningJobs(): string[];
  /**
   * Starts the queued jobs no live node holds and deals with those a dead node held.
   * @param held this kind's jobs that other live nodes' heartbeats list
   * @param lostBy this kind's jobs of nodes whose heartbeat stopped, each with the node's id
   */
  dispatch(held: ReadonlySet<string>, lostBy: ReadonlyMap<string, string>): Promise<void>;
}

/** The endpoint side of the leader's work: updates whose driving node is gone. */
export interface RolloutKeeper {
  /** Resumes (or finishes) every rollout whose driving node is not among `live` node ids. */
  adoptOrphanRollouts(live: ReadonlySet<string>): Promise<void>;
}

export interface LeaderDuties {
  jobs: Partial<Record<JobKind, Dispatchable>>;
  rollouts?: RolloutKeeper;
}

/** This node's heartbeat entries: every kind's running jobs. */
export function heartbeatJobs(jobs: Partial<Record<JobKind, Pick<Dispatchable, 'runningJobs'>>>): string[] {
  return JOB_KINDS.flatMap((kind) => jobs[kind]?.runningJobs().map((name) => heartbeatEntry(kind, name)) ?? []);
}

/**
 * One leader tick: for each kind of job, start queued jobs no live node holds and recover the
 * ones dead nodes held; resume rollouts whose driving node died; then forget the dead nodes'
 * heartbeat rows. A node that was only slow writes its row again on its next beat. One kind's
 * failure is logged and does not hold the others up.
 */
export async function runLeaderDuties(node: ClusterNode, duties: LeaderDuties, log: Logger): Promise<void> {
  const { live, dead } = await node.census();
  const held = new Map<JobKind, Set<string>>(JOB_KINDS.map((k) => [k, new Set()]));
  const lostBy = new Map<JobKind, Map<string, string>>(JOB_KINDS.map((k) => [k, new Map()]));
  for (const n of live) {
    if (n.self) continue;
    for (const entry of n.jobs) {
      const { kind, name } = parseEntry(entry);
      held.get(kind)!.add(name);
    }
  }
  for (const d of dead) {
    for (const entry of d.jobs) {
      const { kind, name } = parseEntry(entry);
      lostBy.get(kind)!.set(name, d.id);
    }
  }
  for (const kind of JOB_KINDS) {
    await duties.jobs[kind]?.dispatch(held.get(kind)!, lostBy.get(kind)!).catch((err: unknown) => log.warn({ err, kind }, 'dispatching queued jobs failed'));
  }
  await duties.rollouts?.adoptOrphanRollouts(new Set(live.map((n) => n.id))).catch((err: unknown) => log.warn({ err }, 'resuming orphaned rollouts failed'));
  for (const d of dead) {
    log.warn({ node: d.id, jobs: d.jobs }, 'API node stopped heartbeating; removed from the cluster');
    await node.removeNode(d.id);
  }
}
