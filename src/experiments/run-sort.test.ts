import { describe, expect, it } from 'vitest';
import type { Run } from '../contracts/experiment.js';
import { sortRuns } from './run-sort.js';

const run = (name: string, createdAt: string, metrics: Record<string, number | null>, params: Record<string, string> = {}): Run => ({
  name, experiment: 'e', status: 'Completed', params, metrics, tags: {}, inputs: [], models: [], createdAt,
});

const runs = [
  run('a', '2025-01-01T00:00:01Z', { auc: 0.8 }, { lr: '0.5', opt: 'sgd' }),
  run('b', '2025-01-01T00:00:02Z', { auc: 0.9 }, { lr: '10', opt: 'adam' }),
  run('c', '2025-01-01T00:00:03Z', {}, { lr: '2' }),
  run('d', '2025-01-01T00:00:04Z', { auc: null }),
];
const names = (rs: Run[]) => rs.map((r) => r.name);

describe('sortRuns', () => {
  it('sorts by a final metric either way, runs without it (or with NaN) last', () => {
    expect(names(sortRuns(runs, 'metric:auc', 'desc'))).toEqual(['b', 'a', 'd', 'c']);
    expect(names(sortRuns(runs, 'metric:auc', 'asc'))).toEqual(['a', 'b', 'd', 'c']);
  });

  it('sorts params numerically when every value is a number, else as text', () => {
    expect(names(sortRuns(runs, 'param:lr'))).toEqual(['a', 'c', 'b', 'd']);
    expect(names(sortRuns(runs, 'param:opt'))).toEqual(['b', 'a', 'd', 'c']);
  });

  it('defaults to newest first by creation', () => {
    expect(names(sortRuns(runs, 'createdAt'))).toEqual(['d', 'c', 'b', 'a']);
    expect(names(sortRuns(runs, 'name', 'desc'))).toEqual(['d', 'c', 'b', 'a']);
  });
});
