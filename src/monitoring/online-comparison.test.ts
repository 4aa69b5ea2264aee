import { describe, expect, it } from 'vitest';
import { createRng, normalSample } from '../algorithms/kernels/rng.js';
import { bootstrapMeanDifferenceImpl, compareVariants, scoreVariant, type ComparisonOptions, type JoinedPredictions } from './online-comparison.js';
import { twoProportionZTest } from './stats/z-test.js';

const options = (o: Partial<ComparisonOptions>): ComparisonOptions => ({ problemType: 'binary', threshold: 0.5, alpha: 0.05, samples: 2000, seed: 0, paired: false, ...o });

/** n rows of classes 0..k−1, the first `right` predicted right, the rest one class off. */
function multiclass(n: number, right: number, k: number, idPrefix: string): JoinedPredictions {
  const labels = Array.from({ length: n }, (_, i) => i % k);
  return {
    ids: labels.map((_, i) => `${idPrefix}-${i}`),
    labels,
    predictions: labels.map((y, i) => ({ label: i < right ? y : (y + 1) % k })),
  };
}

describe('online comparison', () => {
  it('multiclass: accuracy and macro F1 side by side, a two-proportion z-test on accuracy', () => {
    const base = multiclass(120, 72, 3, 'b');
    const cand = multiclass(100, 85, 3, 'c');
    const o = options({ problemType: 'multiclass' });
    expect(scoreVariant(base, o)).toMatchObject({ joined: 120, correct: 72, metrics: { count: 120, accuracy: 0.6 } });
    const c = scoreVariant(cand, o);
    expect(c).toMatchObject({ joined: 100, correct: 85, metrics: { accuracy: 0.85 } });
    expect(c.metrics.macroF1).toBeGreaterThan(0.8);
    const t = compareVariants(base, cand, o);
    const ref = twoProportionZTest(85, 100, 72, 120);
    expect(t).toMatchObject({ kind: 'two-proportion-z', metric: 'accuracy', significant: true, better: 'candidate' });
    expect(t.difference).toBeCloseTo(0.25, 12);
    expect(t.z).toBe(ref.z);
    expect(t.pValue).toBe(ref.pValue);
    // the other way round, the baseline is the better one
    expect(compareVariants(cand, base, o)).toMatchObject({ better: 'baseline', significant: true });
  });

  it('binary: a score counts as the positive class from the threshold on', () => {
    const side: JoinedPredictions = { ids: ['a', 'b', 'c', 'd'], labels: [1, 0, 1, 0], predictions: [{ score: 0.7 }, { score: 0.6 }, { score: 0.2 }, { score: 0.1 }] };
    expect(scoreVariant(side, options({ threshold: 0.5 })).correct).toBe(2);
    expect(scoreVariant(side, options({ threshold: 0.65 })).correct).toBe(3);
    const t = compareVariants(side, side, options({}));
    expect(t).toMatchObject({ difference: 0, pValue: 1, significant: false, better: null });
  });

  it('regression: RMSE and MAE side by side; the bootstrap is seeded, and pairing finds what independent samples cannot', () => {
    const rng = createRng(11);
    const n = 200;
    const labels: number[] = [];
    const base: number[] = [];
    const cand: number[] = [];
    for (let i = 0; i < n; i++) {
      const y = 10 * normalSample(rng);
      // Errors that vary a lot from row to row; the candidate's are the baseline's, 0.1 smaller.
      const e = Math.abs(5 * normalSample(rng)) + 0.2;
      labels.push(y);
      base.push(y + e);
      cand.push(y + e - 0.1);
    }
    const ids = labels.map((_, i) => `r${i}`);
    const baseline: JoinedPredictions = { ids, labels, predictions: base.map((score) => ({ score })) };
    const candidate: JoinedPredictions = { ids, labels, predictions: cand.map((score) => ({ score })) };
    const o = options({ problemType: 'regression', samples: 1000, seed: 3 });
    const scored = scoreVariant(candidate, o);
    expect(scored.correct).toBeUndefined();
    expect(Object.keys(scored.metrics).sort()).toEqual(['count', 'mae', 'mape', 'r2', 'rmse']);
    expect(scored.metrics.mae).toBeCloseTo(scoreVariant(baseline, o).metrics.mae - 0.1, 10);

    const paired = compareVariants(baseline, candidate, { ...o, paired: true });
    expect(paired).toMatchObject({ kind: 'bootstrap', metric: 'mae', paired: true, significant: true, better: 'candidate', samples: 1000 });
    expect(paired.difference).toBeCloseTo(-0.1, 10);
    // every resampled difference is −0.1: the smallest p-value 1000 resamples can give
    expect(paired.pValue).toBeCloseTo(2 / 1001, 12);
    expect(paired.interval!.lower).toBeCloseTo(-0.1, 10);
    expect(paired.interval!.upper).toBeCloseTo(-0.1, 10);

    const independent = compareVariants(baseline, candidate, o);
    expect(independent).toMatchObject({ paired: false, significant: false, better: null });
    expect(independent.difference).toBeCloseTo(-0.1, 10);
    expect(independent.interval!.lower).toBeLessThan(-0.1);
    expect(independent.interval!.upper).toBeGreaterThan(0);
    expect(compareVariants(baseline, candidate, o)).toEqual(independent);
    const reseeded = compareVariants(baseline, candidate, { ...o, seed: 4 });
    expect(reseeded.difference).toBe(independent.difference);
    expect(reseeded.pValue).not.toBe(independent.pValue);
  });

  it('bootstrap: an empty side is no evidence; unequal paired lengths are refused', () => {
    expect(bootstrapMeanDifferenceImpl(new Float64Array(0), Float64Array.of(1), false, 100, 0)).toMatchObject({ pValue: 1 });
    expect(bootstrapMeanDifferenceImpl(Float64Array.of(1, 2), Float64Array.of(1), true, 100, 0).pValue).toBe(1);
    const r = bootstrapMeanDifferenceImpl(Float64Array.of(3, 4, 5, 6), Float64Array.of(1, 2, 3), false, 500, 9);
    expect(r.difference).toBeCloseTo(2.5, 12);
    expect(r.lower).toBeLessThanOrEqual(r.difference);
    expect(r.upper).toBeGreaterThanOrEqual(r.difference);
    expect(compareVariants({ ids: [], labels: [], predictions: [] }, { ids: [], labels: [], predictions: [] }, options({ problemType: 'regression' })))
      .toMatchObject({ pValue: 1, significant: false, better: null });
    const oneSided = compareVariants(
      { ids: [], labels: [], predictions: [] },
      { ids: ['a'], labels: [1], predictions: [{ score: 2 }] },
      options({ problemType: 'regression' }),
    );
    expect(oneSided).toMatchObject({ difference: 0, pValue: 1, significant: false });
    expect(oneSided.interval).toBeUndefined();
    expect(JSON.parse(JSON.stringify(oneSided))).toEqual(oneSided); // NaN would not survive JSON
  });
});
