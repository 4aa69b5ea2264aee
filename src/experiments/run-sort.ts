import type { Run } from '../contracts/experiment.js';

type Key = string | number | undefined;

/** The sort key of a run for `sortBy` ('createdAt', 'name', 'metric:<name>', 'param:<name>'). */
function keyOf(run: Run, sortBy: string): Key {
  if (sortBy === 'createdAt') return run.createdAt;
  if (sortBy === 'name') return run.name;
  if (sortBy.startsWith('metric:')) return run.metrics[sortBy.slice(7)] ?? undefined;
  return run.params[sortBy.slice(6)];
}

const isNumeric = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));

/**
 * Sorts runs by one key. Runs without the key come last in either order; params compare as
 * numbers when every present value is one. Ties keep the newest run first.
 */
export function sortRuns(runs: Run[], sortBy: string, order?: 'asc' | 'desc'): Run[] {
  const direction = (order ?? (sortBy === 'createdAt' ? 'desc' : 'asc')) === 'asc' ? 1 : -1;
  let keys = runs.map((r) => keyOf(r, sortBy));
  if (sortBy.startsWith('param:') && keys.every((k) => k === undefined || isNumeric(String(k)))) {
    keys = keys.map((k) => (k === undefined ? k : Number(k)));
  }
  const indexed = runs.map((run, i) => ({ run, key: keys[i] }));
  indexed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) {
      if (a.key === b.key) return b.run.createdAt.localeCompare(a.run.createdAt);
      return a.key === undefined ? 1 : -1;
    }
    const c = typeof a.key === 'number' && typeof b.key === 'number' ? a.key - b.key : String(a.key).localeCompare(String(b.key));
    return c !== 0 ? direction * c : b.run.createdAt.localeCompare(a.run.createdAt);
  });
  return indexed.map((x) => x.run);
}
