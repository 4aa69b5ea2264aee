import { describe, expect, it } from 'vitest';
import { fBeta, rocAucImpl, selectThresholdImpl, splitSortedImpl, type ThresholdOptions } from './classification-metrics.js';
import { createRng } from './rng.js';

const rng = createRng(9);
const n = 300;
const labels = Float64Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
// Rounded scores create ties, which both AUC and threshold selection must handle.
const scores = Float64Array.from(labels, (l) => Math.round((rng.next() * 0.6 + l * 0.3) * 20) / 20);

function bruteAuc(): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (labels[i] !== 1 || labels[j] !== 0) continue;
      pairs++;
      sum += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return sum / pairs;
}

function confusion(thr: number) {
  let tp = 0;
  let fp = 0;
  let P = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) P++;
    if (scores[i] >= thr) labels[i] === 1 ? tp++ : fp++;
  }
  return { tp, fp, P, N: n - P };
}

const opts = (o: Partial<ThresholdOptions>): ThresholdOptions => ({
  criterion: 'accuracy',
  beta: 1,
  targetPrecision: 0.8,
  targetRecall: 0.8,
  preferred: 0.5,
  ...o,
});

describe('classification metrics', () => {
  it('computes ROC AUC with ties counted half', () => {
    expect(rocAucImpl(splitSortedImpl(scores, labels, n))).toBeCloseTo(bruteAuc(), 12);
    expect(rocAucImpl(splitSortedImpl(Float64Array.from([0.1, 0.9]), Float64Array.from([0, 1]), 2))).toBe(1);
    expect(rocAucImpl(splitSortedImpl(Float64Array.from([0.1]), Float64Array.from([1]), 1))).toBeNaN();
  });

  it('picks the accuracy-maximizing threshold over all distinct scores', () => {
    const sorted = splitSortedImpl(scores, labels, n);
    const thr = selectThresholdImpl(sorted, opts({}));
    const acc = (t: number) => {
      const c = confusion(t);
      return (c.tp + c.N - c.fp) / n;
    };
    const bestPossible = Math.max(...Array.from(new Set(scores), acc), acc(Infinity));
    expect(acc(thr)).toBeCloseTo(bestPossible, 12);
  });

  it('maximizes F-beta, and precision or recall under a target', () => {
    const sorted = splitSortedImpl(scores, labels, n);
    const candidates = [...new Set(scores)];
    const f = (t: number) => {
      const c = confusion(t);
      return fBeta(c.tp, c.fp, c.P - c.tp, 2);
    };
    expect(f(selectThresholdImpl(sorted, opts({ criterion: 'f_beta', beta: 2 })))).toBeCloseTo(Math.max(...candidates.map(f)), 12);
    const thr = selectThresholdImpl(sorted, opts({ criterion: 'precision_at_target_recall', targetRecall: 0.9 }));
    const c = confusion(thr);
    expect(c.tp / c.P).toBeGreaterThanOrEqual(0.9);
    const thr2 = selectThresholdImpl(sorted, opts({ criterion: 'recall_at_target_precision', targetPrecision: 0.7 }));
    const c2 = confusion(thr2);
    expect(c2.tp / (c2.tp + c2.fp)).toBeGreaterThanOrEqual(0.7);
  });

  it('returns the preferred threshold for loss_function and for unreachable targets', () => {
    const sorted = splitSortedImpl(scores, labels, n);
    expect(selectThresholdImpl(sorted, opts({ criterion: 'loss_function' }))).toBe(0.5);
    const none = splitSortedImpl(Float64Array.from([0.9, 0.8]), Float64Array.from([0, 0]), 2);
    expect(selectThresholdImpl(none, opts({ criterion: 'recall_at_target_precision' }))).toBe(0.5);
  });

  it('prefers the threshold nearest the default among equally good ones', () => {
    const sorted = splitSortedImpl(Float64Array.from([0.1, 0.2, 0.8, 0.9]), Float64Array.from([0, 0, 1, 1]), 4);
    expect(selectThresholdImpl(sorted, opts({}))).toBe(0.5);
  });
});
