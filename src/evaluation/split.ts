/**
 * Seeded, deterministic splits of a dataset's rows for evaluation.
 *
 * The algorithm (the same for hold-out and k-fold, so a fold can be recomputed from the seed):
 * 1. Rows are grouped into strata: one per distinct label when stratified, one stratum of all
 *    rows otherwise. Strata are taken in ascending label order.
 * 2. Each stratum's row indices (ascending) are shuffled with Fisher–Yates driven by the
 *    xoshiro128** generator seeded with `seed` (one generator for the whole split, strata in order).
 * 3. Hold-out: the first round(n_s × testShare) shuffled rows of each stratum are the test set
 *    (at least 1 and at most n_s − 1 when the stratum has 2 or more rows).
 *    k-fold: the shuffled rows are dealt round-robin to folds 0..k−1, continuing from where the
 *    previous stratum stopped, so fold sizes differ by at most one and every fold gets
 *    ⌊n_s / k⌋ or ⌈n_s / k⌉ rows of each class.
 * This is not scikit-learn's StratifiedKFold (which sorts and allocates differently); tests
 * compare metrics on *our* folds, passing the fold of every row to Python.
 */
import { validationError } from '../core/errors.js';
import { createRng, randomIndex, type Rng } from '../algorithms/kernels/rng.js';

function strata(labels: Float64Array, stratified: boolean): number[][] {
  if (!stratified) return [Array.from({ length: labels.length }, (_, i) => i)];
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    let rows = byLabel.get(labels[i]);
    if (!rows) byLabel.set(labels[i], (rows = []));
    rows.push(i);
  }
  return [...byLabel.keys()].sort((a, b) => a - b).map((k) => byLabel.get(k)!);
}

function shuffle(rows: number[], rng: Rng): void {
  for (let i = rows.length - 1; i > 0; i--) {
    const j = randomIndex(rng, i + 1);
    const t = rows[i];
    rows[i] = rows[j];
    rows[j] = t;
  }
}

/** Hold-out: 1 marks a test row. */
export function holdoutSplit(labels: Float64Array, opts: { testShare: number; stratified: boolean; seed: number }): Uint8Array {
  if (!(opts.testShare > 0 && opts.testShare < 1)) throw validationError(`testShare must be between 0 and 1, got ${opts.testShare}`, { field: 'method.testShare' });
  const rng = createRng(opts.seed);
  const test = new Uint8Array(labels.length);
  for (const rows of strata(labels, opts.stratified)) {
    shuffle(rows, rng);
    let n = Math.round(rows.length * opts.testShare);
    if (rows.length >= 2) n = Math.min(Math.max(n, 1), rows.length - 1);
    for (let i = 0; i < n; i++) test[rows[i]] = 1;
  }
  let count = 0;
  for (const t of test) count += t;
  if (count === 0 || count === labels.length) throw validationError(`a hold-out split of ${labels.length} rows needs at least 2 rows`, { field: 'dataset' });
  return test;
}

/** k-fold: the fold (0..k−1) each row is tested in. */
export function kfoldAssign(labels: Float64Array, opts: { k: number; stratified: boolean; seed: number }): Int32Array {
  const { k } = opts;
  if (labels.length < k) throw validationError(`${k}-fold cross-validation needs at least ${k} rows; the dataset has ${labels.length}`, { field: 'method.k' });
  const rng = createRng(opts.seed);
  const fold = new Int32Array(labels.length);
  let next = 0;
  for (const rows of strata(labels, opts.stratified)) {
    shuffle(rows, rng);
    for (const r of rows) {
      fold[r] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}
