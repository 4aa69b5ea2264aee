import type { Logger } from '../core/logger.js';
import type { ClusterNode } from './cluster-node.js';

/** The part of the TrainingService the leader drives. */
export interface Dispatchable {
  dispatch(held: ReadonlySet<string>, lostBy: ReadonlyMap<string, string>): Promise<void>;
}

/**
 * One leader tick: start queued jobs no live node holds, fail the jobs dead nodes had begun,
 * then forget the dead nodes' heartbeat rows. A node that was only slow writes its row again
 * on its next beat.
 */
export async function runLeaderDuties(node: ClusterNode, training: Dispatchable, log: Logger): Promise<void> {
  const { live, dead } = await node.census();
  const held = new Set(live.filter((n) => !n.self).flatMap((n) => n.jobs));
  const lostBy = new Map<string, string>();
  for (const d of dead) for (const job of d.jobs) lostBy.set(job, d.id);
  await training.dispatch(held, lostBy);
  for (const d of dead) {
    log.warn({ node: d.id, jobs: d.jobs }, 'API node stopped heartbeating; removed from the cluster');
    await node.removeNode(d.id);
  }
}
