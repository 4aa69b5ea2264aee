/**
 * The invocation timeout of worker-thread replicas (replica.ts), as a pure decision over what
 * the server sent and what the worker marked finished (replica-protocol.ts `ReplicaProgress`).
 *
 * A worker answers one request at a time, in the order sent, and the answers of one batch leave
 * together once the batch is done. So the request first past its deadline is not always the one
 * to blame: it may be answered already, its answer waiting behind a request that will not end.
 * The rules:
 * - The worker is running the first request it has not finished. When it has finished nothing
 *   for the whole timeout while that request waited, it is stuck on that request.
 * - A request past its deadline that the worker is running gets ModelTimeout (it stays with the
 *   worker, which is not stuck yet), as does one waiting behind requests that the worker kept
 *   finishing after its deadline (a queue, not a stuck model).
 * - A request past its deadline waiting behind a running one that has not run the whole timeout
 *   yet is decided at that one's stuck check: sent elsewhere if the worker is stuck, else timed
 *   out. So no request waits on one replica much more than twice the timeout.
 * - An answered request whose answer waits is never timed out: it arrives, or it is sent again.
 */

/** A request the worker holds, as the watchdog sees it. */
export interface Watched {
  /** `epochMs()` when it was sent. */
  sentAt: number;
  /** Already answered ModelTimeout; the worker still has it. */
  abandoned: boolean;
}

export interface FinishedRequests {
  isFinished(id: number): boolean;
  /** `epochMs()` when the worker last finished a request; 0 before the first. */
  readonly lastFinishedAt: number;
}

export type WatchVerdict =
  /** The worker is stuck on request `stuck`: stop it. */
  | { stuck: number }
  /** Answer these ModelTimeout and keep them with the worker; look again at `nextCheckAt` (unset: nothing to watch). */
  | { stuck?: undefined; abandon: number[]; nextCheckAt: number | undefined };

/** @param pending the requests the worker holds, in the order sent. */
export function inspectReplica(pending: ReadonlyMap<number, Watched>, progress: FinishedRequests, now: number, timeoutMs: number): WatchVerdict {
  const lastFinishedAt = progress.lastFinishedAt;
  const abandon: number[] = [];
  let next = Infinity;
  let running: number | undefined;
  for (const [id, w] of pending) {
    if (progress.isFinished(id)) continue;
    if (running === undefined) {
      running = id;
      const since = Math.max(lastFinishedAt, w.sentAt);
      if (now - since >= timeoutMs) return { stuck: id };
      next = since + timeoutMs;
    }
    if (w.abandoned) continue;
    const deadline = w.sentAt + timeoutMs;
    if (deadline > now) {
      next = Math.min(next, deadline);
      break; // the rest were sent later
    }
    if (id === running || lastFinishedAt >= deadline) abandon.push(id);
  }
  return { abandon, nextCheckAt: next === Infinity ? undefined : next };
}
