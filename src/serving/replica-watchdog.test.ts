import { describe, expect, it } from 'vitest';
import { inspectReplica, type Watched } from './replica-watchdog.js';

const T = 1000;

/** Requests 1..n sent at `sentAt[i]`; `finished` ids, the last at `lastFinishedAt`; `abandoned` ids already timed out. */
function replica(sentAt: number[], finished: number[] = [], lastFinishedAt = 0, abandoned: number[] = []) {
  const pending = new Map<number, Watched>(sentAt.map((at, i) => [i + 1, { sentAt: at, abandoned: abandoned.includes(i + 1) }]));
  const progress = { isFinished: (id: number) => finished.includes(id), lastFinishedAt };
  return (now: number) => inspectReplica(pending, progress, now, T);
}

describe('inspectReplica', () => {
  it('waits for the first deadline, then finds the worker stuck on the request it has run the whole timeout', () => {
    const at = replica([100, 100, 400]);
    expect(at(500)).toEqual({ abandon: [], nextCheckAt: 1100 });
    expect(at(1100)).toEqual({ stuck: 1 });
  });

  it('blames the request the worker runs, not an earlier one whose answer waits behind it', () => {
    // 1 was answered at 101 (its answer leaves with the batch); 2 has run since, 3 waits behind it.
    const at = replica([100, 100, 100], [1], 101);
    // 1 is past its deadline but answered; 2 is past its own and is the one running: timed out, kept.
    expect(at(1100)).toEqual({ abandon: [2], nextCheckAt: 1101 });
    // 3 waits behind 2, which has not run the whole timeout yet: decided at 2's stuck check.
    const later = replica([100, 100, 100], [1], 101, [2]);
    expect(later(1100.5)).toEqual({ abandon: [], nextCheckAt: 1101 });
    expect(later(1101)).toEqual({ stuck: 2 });
  });

  it('times out a request left waiting while the worker kept finishing others (a queue, not a stuck model)', () => {
    // The worker finished 1 and 2, the last at 1150: after the deadlines of 3 (running since) and 4 (waiting).
    const at = replica([100, 100, 100, 100], [1, 2], 1150);
    expect(at(1200)).toEqual({ abandon: [3, 4], nextCheckAt: 2150 });
  });

  it('does not count the time a worker sat idle before a request came', () => {
    const at = replica([5000], [], 10);
    expect(at(5500)).toEqual({ abandon: [], nextCheckAt: 6000 });
    expect(at(6000)).toEqual({ stuck: 1 });
  });

  it('has nothing to watch when every request it holds is answered', () => {
    expect(replica([100, 200], [1, 2], 250)(2000)).toEqual({ abandon: [], nextCheckAt: undefined });
  });
});
